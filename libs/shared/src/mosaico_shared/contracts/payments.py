"""Events payments emits (``mosaico.<tenant>.payments.<event>``); finance records the
income of ``PaymentSucceeded``, notifications tells the customer."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import AwareDatetime, EmailStr, Field

from mosaico_shared.contracts.events import EventPayload
from mosaico_shared.money import PositiveMoney

PaymentMethod = Literal["pix", "boleto", "card"]


class PaymentEvent(EventPayload):
    module: ClassVar[str] = "payments"

    payment_id: str = Field(min_length=1, max_length=64, examples=["pay_01JD2Y3K4M5N"])
    amount: PositiveMoney
    method: PaymentMethod
    order_id: str | None = Field(default=None, max_length=64)
    customer_email: EmailStr | None = None


class PaymentSucceeded(PaymentEvent):
    """The PSP confirmed the payment: the money is the tenant's."""

    paid_at: AwareDatetime
    description: str = Field(default="Pagamento recebido", min_length=1, max_length=500)


class PaymentFailed(PaymentEvent):
    """The PSP refused the payment, or it expired unpaid."""

    failed_at: AwareDatetime
    reason: str = Field(max_length=500)
