"""Events finance emits (``mosaico.<tenant>.finance.<event>``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar, Literal

from mosaico_shared.contracts.events import EventPayload


class TransactionRecorded(EventPayload):
    """A transaction was recorded (by hand or from a payment)."""

    module: ClassVar[str] = "finance"

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
