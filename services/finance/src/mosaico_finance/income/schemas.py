"""What the income handler consumes: the part of ``PaymentSucceeded`` finance needs.

Until payments publishes its events, this is finance's reading of that contract; once
both sides exist it belongs in ``mosaico_shared.contracts``.
"""

from __future__ import annotations

import uuid

from mosaico_shared.money import PositiveMoney
from mosaico_shared.schemas import RequestBody
from pydantic import AwareDatetime, ConfigDict, Field


class PaymentIncome(RequestBody):
    model_config = ConfigDict(
        extra="ignore",  # the event carries more than finance reads
        json_schema_extra={
            "examples": [
                {
                    "event_id": "01JD2Y3K4M5N6P7Q8R9S0T1V2W",
                    "tenant": "acme",
                    "amount": "249.90",
                    "paid_at": "2026-11-25T13:45:00Z",
                    "description": "Pix - pedido 1042",
                }
            ]
        },
    )

    event_id: str = Field(min_length=1, max_length=128)
    tenant: str
    amount: PositiveMoney
    paid_at: AwareDatetime
    description: str = Field(default="Pagamento recebido", min_length=1, max_length=500)
    bank_account_id: uuid.UUID | None = None
