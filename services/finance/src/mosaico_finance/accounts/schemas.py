"""Bank account bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from mosaico_shared.money import Money
from mosaico_shared.schemas import RequestBody
from pydantic import BaseModel, ConfigDict, Field

AccountType = Literal["checking", "savings"]


class AccountCreate(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Conta movimento",
                    "bank_code": "341",
                    "agency": "0123",
                    "account_number": "45678-9",
                    "account_type": "checking",
                    "opening_balance": "1500.00",
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    bank_code: str = Field(pattern=r"^[0-9]{3}$", description="COMPE code, 3 digits")
    agency: str = Field(pattern=r"^[0-9]{1,6}(-[0-9Xx])?$", description="Digits, optional -digit")
    account_number: str = Field(pattern=r"^[0-9]{1,18}(-[0-9Xx])?$")
    account_type: AccountType = "checking"
    opening_balance: Money = Decimal("0.00")


class AccountUpdate(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"name": "Conta antiga", "active": False}]},
    )

    not_nullable = ("name", "opening_balance", "active")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    opening_balance: Money | None = None
    active: bool | None = None


class AccountOut(BaseModel):
    id: uuid.UUID
    name: str
    bank_code: str
    agency: str
    account_number: str
    account_type: AccountType
    opening_balance: Decimal
    balance: Decimal = Field(description="Opening balance plus incomes minus expenses")
    active: bool
    created_at: datetime
