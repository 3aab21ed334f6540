"""Financial transaction bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from mosaico_shared.money import PositiveMoney
from mosaico_shared.schemas import RequestBody
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue

TransactionType = Literal["income", "expense"]
EARLIEST_DATE = date(2000, 1, 1)


def latest_date(today: date | None = None) -> date:
    """A transaction may be scheduled at most one year ahead."""
    today = today or datetime.now(UTC).date()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def check_transaction_date(value: date) -> date:
    """Refuse dates before 2000-01-01 or more than a year ahead."""
    if value < EARLIEST_DATE:
        raise ValueError(f"must be on or after {EARLIEST_DATE.isoformat()}")
    if value > latest_date():
        raise ValueError("must be at most one year ahead")
    return value


TransactionDate = Annotated[
    date,
    AfterValidator(check_transaction_date),
    Field(description="From 2000-01-01 to one year ahead", examples=["2026-11-25"]),
]

_EXAMPLE: dict[str, JsonValue] = {
    "description": "Venda balcão - pedido 1042",
    "amount": "249.90",
    "type": "income",
    "category_id": "6f1c2b1e-8d7a-4a57-9a58-0c6f4f3b9e21",
    "bank_account_id": "0b5e8f3a-2c4d-4e6f-8a9b-1c2d3e4f5a6b",
    "transaction_date": "2026-11-25",
}


class TransactionCreate(RequestBody):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"examples": [_EXAMPLE]}
    )

    description: str = Field(min_length=1, max_length=500)
    amount: PositiveMoney
    type: TransactionType
    category_id: uuid.UUID
    bank_account_id: uuid.UUID
    transaction_date: TransactionDate


class TransactionUpdate(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"amount": "259.90", "description": "Venda corrigida"}]},
    )

    not_nullable = (
        "description", "amount", "type", "category_id", "bank_account_id", "transaction_date",
    )  # fmt: skip

    description: str | None = Field(default=None, min_length=1, max_length=500)
    amount: PositiveMoney | None = None
    type: TransactionType | None = None
    category_id: uuid.UUID | None = None
    bank_account_id: uuid.UUID | None = None
    transaction_date: TransactionDate | None = None


class TransactionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    code: str = Field(examples=["LC12345678Z"])
    description: str
    amount: Decimal
    type: TransactionType
    category_id: uuid.UUID
    bank_account_id: uuid.UUID
    transaction_date: TransactionDate
    source: str
    created_by: str | None
    created_at: datetime
    updated_at: datetime


class TransactionPage(BaseModel):
    items: list[TransactionOut]
    total: int
    limit: int
    offset: int


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: Literal["created", "updated", "deleted"]
    actor: str
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None
