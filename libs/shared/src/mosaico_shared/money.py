"""Money: ``Decimal`` with two places, in BRL. Never float.

Amounts arrive as JSON strings (``"1234.56"``) or JSON numbers (``1234.56``). Request
bodies are read with every JSON number kept as the decimal text it was written as
(see :mod:`mosaico_shared.routing`), so ``0.100000000000000001`` is refused for having
more than two places instead of being rounded to ``0.10`` by a binary float on the way
in. A float that reaches an amount anyway (a caller that parsed JSON itself) is
refused: its exact value is already lost.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

CENT = Decimal("0.01")
MAX_DIGITS = 15
#: ``numeric(15, 2)``: thirteen digits before the point, two after.
MAX_AMOUNT = Decimal("9999999999999.99")

#: How an amount is written as a string: ASCII digits, an optional leading minus and
#: at most two decimals. No exponent, no ``_``, no spaces, no other scripts' digits.
AMOUNT_PATTERN = r"^-?[0-9]{1,13}([.][0-9]{1,2})?$"
NON_NEGATIVE_AMOUNT_PATTERN = r"^[0-9]{1,13}([.][0-9]{1,2})?$"
_AMOUNT_TEXT = re.compile(r"-?[0-9]+([.][0-9]+)?")


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents (banker's rounding), for amounts computed inside the platform."""
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def _decimal_places(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked by the caller
    if exponent >= 0:
        return 0
    # Trailing zeros do not count: 1.500 is 1.50.
    digits = str(abs(amount.scaleb(-exponent).to_integral_value()))
    return max(0, -exponent - (len(digits) - len(digits.rstrip("0"))))


def parse_amount(value: object) -> Decimal:
    """An amount with at most two decimal places, exactly as sent, in cents
    (``"1500.5"`` -> ``Decimal("1500.50")``); ``ValueError`` saying what is wrong."""
    if isinstance(value, bool):
        raise ValueError("an amount is a number, not a boolean")
    if isinstance(value, float):
        raise ValueError(
            'an amount read as a binary float may have lost digits: send it as "1234.56"'
        )
    if isinstance(value, str):
        if not _AMOUNT_TEXT.fullmatch(value):
            raise ValueError(
                'an amount is written with the digits 0-9 and an optional "." '
                'and decimals, like "1234.56"'
            )
        amount = Decimal(value)
    elif isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, Decimal):
        amount = value
    else:
        raise ValueError('an amount is a string like "1234.56" or a JSON number')
    if not amount.is_finite():
        raise ValueError("an amount is a finite number")
    if _decimal_places(amount) > 2:
        raise ValueError("an amount has at most two decimal places (cents)")
    if abs(amount) > MAX_AMOUNT:
        raise ValueError(f"an amount is at most {MAX_AMOUNT} in absolute value")
    return amount.quantize(CENT)


def _positive_amount(value: object) -> Decimal:
    amount = parse_amount(value)
    if amount <= 0:
        raise ValueError("an amount here is greater than zero")
    return amount


def _non_negative_amount(value: object) -> Decimal:
    amount = parse_amount(value)
    if amount < 0:
        raise ValueError("an amount here is zero or more")
    return amount


def _schema(pattern: str, number: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "anyOf": [
            {"type": "string", "pattern": pattern},
            {"type": "number", "maximum": float(MAX_AMOUNT), "multipleOf": 0.01, **number},
        ],
        "examples": ["1234.56"],
    }


_OUT = WithJsonSchema(
    {"type": "string", "pattern": AMOUNT_PATTERN, "examples": ["1234.56"]}, mode="serialization"
)
_EXACT = (
    "BRL with at most two decimal places, as a string or a JSON number; numbers are "
    "read from their decimal text, never through a binary float."
)

Money = Annotated[
    Decimal,
    BeforeValidator(parse_amount),
    WithJsonSchema(
        _schema(AMOUNT_PATTERN, {"minimum": -float(MAX_AMOUNT)}, _EXACT), mode="validation"
    ),
    _OUT,
]
"""An amount in BRL with at most two decimal places; serialized as a string."""

NonNegativeMoney = Annotated[
    Decimal,
    BeforeValidator(_non_negative_amount),
    WithJsonSchema(
        _schema(NON_NEGATIVE_AMOUNT_PATTERN, {"minimum": 0}, f"Zero or more. {_EXACT}"),
        mode="validation",
    ),
    _OUT,
]
"""An amount of zero or more."""

PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(_positive_amount),
    WithJsonSchema(
        _schema(
            NON_NEGATIVE_AMOUNT_PATTERN,
            {"exclusiveMinimum": 0},
            f"Greater than zero. {_EXACT}",
        ),
        mode="validation",
    ),
    _OUT,
]
"""A strictly positive amount."""

MoneySum = Annotated[
    Decimal,
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?[0-9]+([.][0-9]{1,2})?$", "examples": ["1234.56"]},
        mode="serialization",
    ),
]
"""An amount computed by the platform (a total, a balance): exact, of any size, in a
response; serialized as a string."""
