"""Financial transactions: recording under the plan's monthly limit, edits and soft
deletions with an audit trail, and the ``TransactionRecorded`` outbox event."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.money import to_money
from mosaico_shared.outbox import record_event
from mosaico_shared.problems import Conflict, InvalidInput, LimitExceeded, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.accounts.service import account_for_transaction
from mosaico_finance.categories.service import category_for_transaction
from mosaico_finance.models import Category, FinancialTransaction, OutboxEvent, TransactionAudit
from mosaico_finance.transactions.codes import is_transaction_code, new_transaction_code
from mosaico_finance.transactions.events import TransactionRecorded
from mosaico_finance.transactions.repository import TransactionFilter, TransactionRepository
from mosaico_finance.transactions.schemas import TransactionCreate, TransactionUpdate


def snapshot(transaction: FinancialTransaction) -> dict[str, Any]:
    """The transaction as the audit trail keeps it (amounts as strings, never floats)."""
    return {
        "code": transaction.code,
        "description": transaction.description,
        "amount": str(to_money(transaction.amount)),
        "type": transaction.type,
        "category_id": str(transaction.category_id),
        "bank_account_id": str(transaction.bank_account_id),
        "transaction_date": transaction.transaction_date.isoformat(),
        "deleted_at": transaction.deleted_at.isoformat() if transaction.deleted_at else None,
    }


def checked_code(code: str) -> str:
    """``code`` upper-cased, or ``InvalidInput`` when its shape or check letter is wrong."""
    normalized = code.strip().upper()
    if not is_transaction_code(normalized):
        raise InvalidInput(
            f"{code!r} is not a transaction code (LC + 8 digits + a matching check letter)."
        )
    return normalized


async def ensure_monthly_capacity(session: AsyncSession, tenant: TenantRecord) -> None:
    """Refuse a new transaction past the plan's ``max_transactions`` for this month."""
    limit = tenant.limits.max_transactions
    if limit is None:
        return
    now = datetime.now(UTC)
    month_start = datetime(now.year, now.month, 1, tzinfo=UTC)
    if await TransactionRepository(session).recorded_since(month_start) >= limit:
        raise LimitExceeded(
            f"The plan {tenant.plan!r} allows {limit} transactions a month.",
            limit="max_transactions",
            max=limit,
        )


async def record_transaction(
    session: AsyncSession, *, tenant: TenantRecord, actor: str, body: TransactionCreate
) -> FinancialTransaction:
    """Record a transaction entered through the API, within the plan's monthly limit.

    Only a limited plan serializes recordings (to count this month's fairly); an
    unlimited one records in parallel.
    """
    if tenant.limits.max_transactions is not None:
        await TransactionRepository(session).lock_recording()
        await ensure_monthly_capacity(session, tenant)
    return await insert_transaction(
        session,
        tenant=tenant.slug,
        actor=actor,
        description=body.description,
        amount=body.amount,
        type=body.type,
        category_id=body.category_id,
        bank_account_id=body.bank_account_id,
        transaction_date=body.transaction_date,
        source="manual",
    )


async def insert_transaction(
    session: AsyncSession,
    *,
    tenant: str,
    actor: str,
    description: str,
    amount: Decimal,
    type: str,
    category_id: uuid.UUID,
    bank_account_id: uuid.UUID,
    transaction_date: date,
    source: str,
    archived_category_ok: bool = False,
) -> FinancialTransaction:
    """Insert a transaction with a fresh code, its audit entry and its outbox event."""
    category = await category_for_transaction(
        session, category_id, type, archived_ok=archived_category_ok
    )
    await account_for_transaction(session, bank_account_id)
    transaction = FinancialTransaction(
        id=uuid.uuid4(),
        code=await _unused_code(session),
        description=description,
        amount=to_money(amount),
        type=type,
        category_id=category.id,
        bank_account_id=bank_account_id,
        transaction_date=transaction_date,
        source=source,
        created_by=actor,
    )
    transactions = TransactionRepository(session)
    transactions.add(transaction)
    await session.flush()
    await session.refresh(transaction)
    transactions.add_audit(
        TransactionAudit(
            transaction_id=transaction.id,
            action="created",
            before=None,
            after=snapshot(transaction),
            actor=actor,
        )
    )
    await _emit_recorded(session, tenant, transaction, category)
    await session.flush()
    return transaction


async def _unused_code(session: AsyncSession) -> str:
    # 10^8 codes per tenant: a clash is rare, and a few draws make it vanishingly so.
    for _ in range(8):
        code = new_transaction_code()
        if not await TransactionRepository(session).code_taken(code):
            return code
    raise Conflict("No free transaction code was found; try again.")


async def _emit_recorded(
    session: AsyncSession, tenant: str, transaction: FinancialTransaction, category: Category
) -> None:
    event = TransactionRecorded(
        tenant=tenant,
        transaction_id=transaction.id,
        code=transaction.code,
        transaction_type=transaction.type,
        amount=to_money(transaction.amount),
        category_id=category.id,
        category=category.name,
        bank_account_id=transaction.bank_account_id,
        transaction_date=transaction.transaction_date,
        source=transaction.source,
        recorded_at=transaction.created_at,
    )
    record_event(session, OutboxEvent, tenant=tenant, module="finance", event=event)


async def get_transaction(
    session: AsyncSession, code: str, *, for_update: bool = False
) -> FinancialTransaction:
    """A live transaction by code, or ``NotFound`` (``InvalidInput`` for a bad code);
    row-locked until the end of the transaction with ``for_update``."""
    transaction = await TransactionRepository(session).live_by_code(
        checked_code(code), for_update=for_update
    )
    if transaction is None:
        raise NotFound("No such transaction in this tenant.")
    return transaction


async def list_transactions(
    session: AsyncSession, where: TransactionFilter, *, limit: int, offset: int
) -> tuple[list[FinancialTransaction], int]:
    """A page of live transactions."""
    return await TransactionRepository(session).page(where, limit=limit, offset=offset)


async def update_transaction(
    session: AsyncSession, *, code: str, actor: str, body: TransactionUpdate
) -> FinancialTransaction:
    """Change a transaction; the audit trail keeps it as it was and as it is now.

    The row is locked before it is read, so a concurrent edit's ``before`` is this
    edit's ``after`` and nobody's change is recorded under someone else's name.
    """
    transaction = await get_transaction(session, code, for_update=True)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not changes:
        return transaction
    new_type = changes.get("type", transaction.type)
    new_category = changes.get("category_id", transaction.category_id)
    if "type" in changes or "category_id" in changes:
        await category_for_transaction(session, new_category, new_type)
    if "bank_account_id" in changes:
        await account_for_transaction(session, changes["bank_account_id"])
    if "amount" in changes:
        changes["amount"] = to_money(changes["amount"])
    before = snapshot(transaction)
    for field, value in changes.items():
        setattr(transaction, field, value)
    await session.flush()
    await session.refresh(transaction)
    after = snapshot(transaction)
    if after != before:
        TransactionRepository(session).add_audit(
            TransactionAudit(
                transaction_id=transaction.id,
                action="updated",
                before=before,
                after=after,
                actor=actor,
            )
        )
        await session.flush()
    return transaction


async def delete_transaction(session: AsyncSession, *, code: str, actor: str) -> None:
    """Soft-delete: the transaction leaves balances and reports, its trail stays."""
    transaction = await get_transaction(session, code, for_update=True)
    before = snapshot(transaction)
    transaction.deleted_at = datetime.now(UTC)
    TransactionRepository(session).add_audit(
        TransactionAudit(
            transaction_id=transaction.id,
            action="deleted",
            before=before,
            after=snapshot(transaction),
            actor=actor,
        )
    )
    await session.flush()


async def audit_trail(session: AsyncSession, code: str) -> list[TransactionAudit]:
    """Every recorded change of a transaction, deleted or not, oldest first."""
    transactions = TransactionRepository(session)
    transaction = await transactions.any_by_code(checked_code(code))
    if transaction is None:
        raise NotFound("No such transaction in this tenant.")
    return await transactions.audit_trail(transaction.id)


async def export_transactions(
    session: AsyncSession, where: TransactionFilter, *, max_rows: int
) -> list[tuple[FinancialTransaction, str, str]]:
    """Every live transaction matching ``where`` with its category and account names;
    ``InvalidInput`` past ``max_rows``."""
    rows = await TransactionRepository(session).all_matching(where, limit=max_rows + 1)
    if len(rows) > max_rows:
        raise InvalidInput(f"The export would hold more than {max_rows} rows; narrow the period.")
    return rows
