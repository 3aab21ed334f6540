"""Report bodies: amounts are decimals with two places (strings in JSON)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

Month = str  # "YYYY-MM"


class MonthFlow(BaseModel):
    month: Month = Field(examples=["2026-11"])
    income: Decimal
    expense: Decimal
    net: Decimal
    income_count: int
    expense_count: int


class MonthlyCashFlow(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    months: list[MonthFlow]
    total_income: Decimal
    total_expense: Decimal
    net: Decimal


class CategoryFlow(BaseModel):
    category_id: uuid.UUID
    name: str
    type: Literal["income", "expense"]
    total: Decimal
    count: int
    share_pct: Decimal = Field(description="Share of the total of its type, in %")


class CashFlowByCategory(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    categories: list[CategoryFlow]
    total_income: Decimal
    total_expense: Decimal


class BalanceDay(BaseModel):
    date: date
    income: Decimal
    expense: Decimal
    balance: Decimal = Field(description="Balance at the end of the day")


class AccountRunningBalance(BaseModel):
    bank_account_id: uuid.UUID
    name: str
    starting_balance: Decimal = Field(description="Balance before the first day of the period")
    closing_balance: Decimal
    days: list[BalanceDay]


class RunningBalances(BaseModel):
    date_from: date = Field(serialization_alias="from")
    date_to: date = Field(serialization_alias="to")
    accounts: list[AccountRunningBalance]


class MonthTotals(BaseModel):
    month: Month
    revenue: Decimal
    expenses: Decimal
    net_result: Decimal
    income_transactions: int


class Indicators(MonthTotals):
    average_ticket: Decimal | None = Field(
        description="Revenue / number of income transactions (None without any)"
    )
    previous: MonthTotals
    revenue_change_pct: Decimal | None = Field(description="Against the previous month, in %")
    expenses_change_pct: Decimal | None
    net_result_change_pct: Decimal | None
