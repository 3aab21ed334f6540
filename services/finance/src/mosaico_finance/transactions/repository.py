"""Queries on financial transactions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.models import BankAccount, Category, FinancialTransaction, TransactionAudit


@dataclass(frozen=True, slots=True)
class TransactionFilter:
    """What a listing or an export narrows down to."""

    date_from: date | None = None
    date_to: date | None = None
    type: str | None = None
    category_id: uuid.UUID | None = None
    bank_account_id: uuid.UUID | None = None

    def apply(self, query: Select[FinancialTransaction]) -> Select[FinancialTransaction]:
        query = query.where(FinancialTransaction.deleted_at.is_(None))
        if self.date_from is not None:
            query = query.where(FinancialTransaction.transaction_date >= self.date_from)
        if self.date_to is not None:
            query = query.where(FinancialTransaction.transaction_date <= self.date_to)
        if self.type is not None:
            query = query.where(FinancialTransaction.type == self.type)
        if self.category_id is not None:
            query = query.where(FinancialTransaction.category_id == self.category_id)
        if self.bank_account_id is not None:
            query = query.where(FinancialTransaction.bank_account_id == self.bank_account_id)
        return query


async def live_by_code(session: AsyncSession, code: str) -> FinancialTransaction | None:
    """The transaction with ``code`` unless it was deleted."""
    return await session.scalar(
        select(FinancialTransaction).where(
            FinancialTransaction.code == code, FinancialTransaction.deleted_at.is_(None)
        )
    )


async def any_by_code(session: AsyncSession, code: str) -> FinancialTransaction | None:
    """The transaction with ``code``, deleted or not (its audit trail outlives it)."""
    return await session.scalar(
        select(FinancialTransaction).where(FinancialTransaction.code == code)
    )


async def code_taken(session: AsyncSession, code: str) -> bool:
    """True when some transaction (even a deleted one) already has ``code``."""
    found = await session.scalar(
        select(FinancialTransaction.id).where(FinancialTransaction.code == code)
    )
    return found is not None


async def page(
    session: AsyncSession, where: TransactionFilter, *, limit: int, offset: int
) -> tuple[list[FinancialTransaction], int]:
    """A page of live transactions, newest date first (ties by code, so pages are stable)."""
    total_query = where.apply(select(FinancialTransaction)).with_only_columns(func.count())
    total = await session.scalar(total_query) or 0
    rows = await session.scalars(
        where.apply(select(FinancialTransaction))
        .order_by(FinancialTransaction.transaction_date.desc(), FinancialTransaction.code)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


async def all_matching(
    session: AsyncSession, where: TransactionFilter, *, limit: int
) -> list[tuple[FinancialTransaction, str, str]]:
    """Live transactions matching ``where`` by date (at most ``limit``), each with the
    names of its category and bank account."""
    query = where.apply(select(FinancialTransaction))
    rows = await session.execute(
        query.add_columns(Category.name, BankAccount.name)
        .join(Category, Category.id == FinancialTransaction.category_id)
        .join(BankAccount, BankAccount.id == FinancialTransaction.bank_account_id)
        .order_by(FinancialTransaction.transaction_date, FinancialTransaction.code)
        .limit(limit)
    )
    return [(transaction, category, account) for transaction, category, account in rows]


async def recorded_since(session: AsyncSession, since: datetime) -> int:
    """Live transactions recorded at or after ``since``."""
    count = await session.scalar(
        select(func.count())
        .select_from(FinancialTransaction)
        .where(
            FinancialTransaction.deleted_at.is_(None),
            FinancialTransaction.created_at >= since,
        )
    )
    return count or 0


async def lock_recording(session: AsyncSession) -> None:
    """Serialize recordings in this tenant until the transaction ends, so two requests
    cannot both take the plan's last slot of the month."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('finance.recording'))"))


async def audit_trail(session: AsyncSession, transaction_id: uuid.UUID) -> list[TransactionAudit]:
    """Changes of one transaction, oldest first."""
    rows = await session.scalars(
        select(TransactionAudit)
        .where(TransactionAudit.transaction_id == transaction_id)
        .order_by(TransactionAudit.at, TransactionAudit.id)
    )
    return list(rows)
