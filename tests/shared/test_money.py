"""Money is Decimal with two places; float noise never gets in."""

from __future__ import annotations

from decimal import Decimal

import pytest
from mosaico_shared.money import Money, PositiveMoney, to_money
from pydantic import BaseModel, ValidationError


class _Charge(BaseModel):
    amount: PositiveMoney
    discount: Money = Decimal("0")


def test_amounts_from_json_numbers_and_strings_are_exact_decimals():
    charge = _Charge.model_validate_json('{"amount": 0.1, "discount": "0.20"}')
    assert charge.amount == Decimal("0.1")
    assert charge.amount + charge.discount == Decimal("0.30")
    assert charge.model_dump(mode="json")["amount"] == "0.1"


@pytest.mark.parametrize("amount", ["1.005", "-1", "0", "abc", True, "NaN", "1e20"])
def test_more_than_two_places_non_positive_or_non_numeric_amounts_are_refused(amount):
    with pytest.raises(ValidationError):
        _Charge(amount=amount)


def test_summing_cents_adds_up_to_the_cent():
    total = sum((to_money("0.10") for _ in range(10)), Decimal("0"))
    assert total == Decimal("1.00")
    assert to_money("2.675") == Decimal("2.68")  # banker's rounding on the half-cent
    assert to_money("2.665") == Decimal("2.66")
