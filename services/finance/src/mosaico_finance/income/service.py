"""Income recorded from payments: the seam where ``PaymentSucceeded`` events land.

Idempotent by event id: the id goes into ``processed_events`` (its primary key) in the
same transaction as the income, so a redelivered event changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mosaico_shared.money import to_money
from mosaico_shared.problems import Conflict, InvalidInput
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.accounts.repository import AccountRepository
from mosaico_finance.categories.repository import CategoryRepository
from mosaico_finance.income.repository import ProcessedEventRepository
from mosaico_finance.income.schemas import PaymentIncome
from mosaico_finance.models import Category, FinancialTransaction
from mosaico_finance.transactions.service import insert_transaction

PAYMENTS_ACTOR = "payments"
DEFAULT_INCOME_CATEGORY = "Vendas"


def _business_timezone() -> tzinfo:
    # Brazil has had no daylight saving since 2019; the fixed offset is a safe fallback
    # where the system has no time zone database.
    try:
        return ZoneInfo("America/Sao_Paulo")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=-3), "BRT")


BUSINESS_TIMEZONE = _business_timezone()


def business_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in Brasília time (a payment at 23:30 on the 30th
    belongs to the 30th, even though it is already the 1st in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BUSINESS_TIMEZONE).date()


async def record_payment_income(
    session: AsyncSession,
    *,
    event_id: str,
    tenant: str,
    amount: Decimal,
    paid_at: datetime,
    description: str,
    bank_account_id: uuid.UUID | None = None,
    category: str = DEFAULT_INCOME_CATEGORY,
) -> FinancialTransaction | None:
    """Record the income of a successful payment, once per ``event_id``.

    Returns the new transaction, or ``None`` when the event was already processed.
    The money arrives whatever the plan says, so the monthly limit does not apply. The
    income goes to ``bank_account_id`` or else to the oldest active account, filed
    under the income category named ``category`` (created when missing; used even when
    archived, since the payment happened either way).
    """
    if not event_id or len(event_id) > 128:
        raise InvalidInput("event_id: 1 to 128 characters.")
    money = to_money(amount)
    if money <= 0:
        raise InvalidInput("amount: a payment's income is positive.")
    processed = ProcessedEventRepository(session)
    if not await processed.claim(event_id):
        return None
    transaction = await insert_transaction(
        session,
        tenant=tenant,
        actor=PAYMENTS_ACTOR,
        description=description[:500] or "Pagamento recebido",
        amount=money,
        type="income",
        category_id=(await _income_category(session, category)).id,
        bank_account_id=bank_account_id or await _receiving_account(session),
        transaction_date=business_date(paid_at),
        source="payment",
        archived_category_ok=True,
    )
    await processed.link(event_id, transaction.id)
    await session.flush()
    return transaction


async def record_income_from(
    session: AsyncSession, event: PaymentIncome
) -> FinancialTransaction | None:
    """``record_payment_income`` for an event body as it arrives from the bus."""
    return await record_payment_income(
        session,
        event_id=event.event_id,
        tenant=event.tenant,
        amount=event.amount,
        paid_at=event.paid_at,
        description=event.description,
        bank_account_id=event.bank_account_id,
    )


async def _income_category(session: AsyncSession, name: str) -> Category:
    categories = CategoryRepository(session)
    found = await categories.named("income", name)
    if found is None:
        # Another replica's consumer may be creating it for this tenant right now: the
        # insert waits for that transaction and then leaves its row alone.
        await categories.add_missing([("income", name)])
        found = await categories.named("income", name)
    assert found is not None
    return found


async def _receiving_account(session: AsyncSession) -> uuid.UUID:
    account_id = await AccountRepository(session).oldest_active_id()
    if account_id is None:
        raise Conflict("The tenant has no active bank account to receive the payment.")
    return account_id
