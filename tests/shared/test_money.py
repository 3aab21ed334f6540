"""Money is Decimal with two places; no binary float, no lenient parsing gets in."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mosaico_shared.money import MAX_AMOUNT, Money, NonNegativeMoney, PositiveMoney, to_money
from mosaico_shared.routing import loads_exactly
from pydantic import BaseModel, ValidationError


class _Charge(BaseModel):
    amount: PositiveMoney
    discount: Money = Decimal("0")
    tip: NonNegativeMoney = Decimal("0")


def _charge(body: str) -> _Charge:
    """A body read the way every service reads one."""
    return _Charge.model_validate(loads_exactly(body))


cents = st.decimals(
    min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2, allow_nan=False, allow_infinity=False
)


def test_amounts_from_json_numbers_and_strings_are_exact_decimals():
    charge = _charge('{"amount": 0.1, "discount": "0.20"}')
    assert charge.amount == Decimal("0.10")
    assert charge.amount + charge.discount == Decimal("0.30")
    assert charge.model_dump(mode="json")["amount"] == "0.10"


@pytest.mark.parametrize("amount", ["1.005", "-1", "0", "abc", True, "NaN", "1e20", None, []])
def test_more_than_two_places_non_positive_or_non_numeric_amounts_are_refused(amount):
    with pytest.raises(ValidationError):
        _Charge(amount=amount)


@pytest.mark.parametrize(
    "number", ["0.100000000000000001", "9999999999999.991", "10000000000000", "1e-3", "2.675"]
)
def test_a_json_number_is_judged_by_its_text_not_rounded_through_a_float(number):
    with pytest.raises(ValidationError):
        _charge(f'{{"amount": {number}}}')


def test_the_largest_amount_survives_as_a_json_number():
    assert _charge('{"amount": 9999999999999.99}').amount == Decimal("9999999999999.99")
    assert _charge('{"amount": 1.500, "tip": 1E+2}').tip == Decimal("100.00")


def test_a_float_is_refused_because_its_digits_may_already_be_lost():
    with pytest.raises(ValidationError, match="binary float"):
        _Charge.model_validate({"amount": 0.1})


@pytest.mark.parametrize(
    "text", ["\u0663", "\uff11\uff12", "1_000", " 12", "12 ", "+12", "1e2", "1.", ".5", "0x10"]
)
def test_amount_strings_are_ascii_digits_with_an_optional_point(text):
    with pytest.raises(ValidationError):
        _Charge(amount=text)


@given(cents)
def test_every_amount_in_cents_reads_the_same_as_a_string_and_as_a_json_number(amount):
    as_string = _charge(json.dumps({"amount": "1", "discount": str(amount)}))
    as_number = _charge(f'{{"amount": 1, "discount": {amount}}}')
    assert as_string.discount == as_number.discount == amount
    assert as_number.model_dump(mode="json")["discount"] == f"{amount:.2f}"


@given(cents, st.integers(min_value=1, max_value=9), st.integers(min_value=3, max_value=30))
def test_any_digit_past_the_cents_is_refused(amount, digit, place):
    text = f"{abs(amount):.2f}" + "0" * (place - 3) + str(digit)
    with pytest.raises(ValidationError, match="two decimal places"):
        _charge(f'{{"amount": {text}}}')


@given(st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()))
def test_digits_of_other_scripts_are_refused(digit):
    with pytest.raises(ValidationError):
        _Charge(amount=f"1{digit}")


def test_the_schema_states_the_limits_with_standard_keywords():
    schema = _Charge.model_json_schema()["properties"]
    string, number = schema["amount"]["anyOf"]
    assert string["pattern"] == "^[0-9]{1,13}([.][0-9]{1,2})?$"
    assert number == {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 9999999999999.99,
        "multipleOf": 0.01,
    }
    assert schema["discount"]["anyOf"][1]["minimum"] == -9999999999999.99
    assert schema["tip"]["anyOf"][1]["minimum"] == 0
    assert not {"decimal_places", "max_digits", "gt"} & set(schema["amount"])


def test_summing_cents_adds_up_to_the_cent():
    total = sum((to_money("0.10") for _ in range(10)), Decimal("0"))
    assert total == Decimal("1.00")
    assert to_money("2.675") == Decimal("2.68")  # banker's rounding on the half-cent
    assert to_money("2.665") == Decimal("2.66")
