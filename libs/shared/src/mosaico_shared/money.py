"""Money: ``Decimal`` with two places, in BRL. Never float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated

from pydantic import BeforeValidator, Field

CENT = Decimal("0.01")
MAX_DIGITS = 15


def to_money(value: Decimal | int | str) -> Decimal:
    """Quantize to cents (banker's rounding), for amounts computed inside the platform."""
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def _refuse_float_noise(value: object) -> object:
    # JSON numbers arrive as float; go through their shortest repr so 0.1 stays 0.1.
    if isinstance(value, bool):
        raise ValueError("an amount is a number, not a boolean")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_refuse_float_noise),
    Field(max_digits=MAX_DIGITS, decimal_places=2, examples=["1234.56"]),
]
"""An amount in BRL with at most two decimal places; serialized as a string."""

PositiveMoney = Annotated[Money, Field(gt=0)]
"""A strictly positive amount."""
