"""Events finance emits about transactions (payloads of the outbox)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel


class TransactionRecorded(BaseModel):
    """A transaction was recorded (by hand or from a payment)."""

    type: Literal["TransactionRecorded"] = "TransactionRecorded"
    tenant: str
    transaction_id: uuid.UUID
    code: str
    transaction_type: Literal["income", "expense"]
    amount: Decimal
    category_id: uuid.UUID
    category: str
    bank_account_id: uuid.UUID
    transaction_date: date
    source: str
    recorded_at: datetime
