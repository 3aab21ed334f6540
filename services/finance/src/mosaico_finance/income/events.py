"""finance's consumer of ``PaymentSucceeded``: each successful payment becomes income,
once, in the tenant's books (the consumer records the event id with the income)."""

from __future__ import annotations

from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.events.consumer import EventConsumer
from mosaico_shared.events.envelope import Event
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.income.service import record_payment_income
from mosaico_finance.models import ConsumedEvent

payment_income = EventConsumer("payment-income", processed=ConsumedEvent)


@payment_income.handles(PaymentSucceeded)
async def record_income_of_payment(session: AsyncSession, event: Event[PaymentSucceeded]) -> None:
    """Record the payment's amount as income on the day it was paid (Brasília time)."""
    payment = event.payload
    await record_payment_income(
        session,
        event_id=str(event.id),
        tenant=event.tenant,
        amount=payment.amount,
        paid_at=payment.paid_at,
        description=payment.description,
    )
