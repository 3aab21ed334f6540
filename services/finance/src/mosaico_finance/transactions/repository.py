"""Queries on financial transactions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import Select, func, select, text

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


class TransactionRepository(RepositoryBase[FinancialTransaction]):
    model = FinancialTransaction
    soft_delete_column = "deleted_at"

    async def live_by_code(
        self, code: str, *, for_update: bool = False
    ) -> FinancialTransaction | None:
        """The transaction with ``code`` unless it was deleted; locked ``FOR UPDATE``
        when asked, so a concurrent edit waits and then reads this one's result."""
        query = self.base_statement().where(FinancialTransaction.code == code)
        if for_update:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def any_by_code(self, code: str) -> FinancialTransaction | None:
        """The transaction with ``code``, deleted or not (its audit trail outlives it)."""
        return await self.session.scalar(
            self.base_statement(include_deleted=True).where(FinancialTransaction.code == code)
        )

    async def code_taken(self, code: str) -> bool:
        """True when some transaction (even a deleted one) already has ``code``."""
        found = await self.session.scalar(
            select(FinancialTransaction.id).where(FinancialTransaction.code == code)
        )
        return found is not None

    async def page(
        self, where: TransactionFilter, *, limit: int, offset: int
    ) -> tuple[list[FinancialTransaction], int]:
        """A page of live transactions, newest date first (ties by code: stable pages)."""
        total_query = where.apply(select(FinancialTransaction)).with_only_columns(func.count())
        total = await self.session.scalar(total_query) or 0
        rows = await self.session.scalars(
            where.apply(select(FinancialTransaction))
            .order_by(FinancialTransaction.transaction_date.desc(), FinancialTransaction.code)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    async def all_matching(
        self, where: TransactionFilter, *, limit: int
    ) -> list[tuple[FinancialTransaction, str, str]]:
        """Live transactions matching ``where`` by date (at most ``limit``), each with the
        names of its category and bank account."""
        query = where.apply(select(FinancialTransaction))
        rows = await self.session.execute(
            query.add_columns(Category.name, BankAccount.name)
            .join(Category, Category.id == FinancialTransaction.category_id)
            .join(BankAccount, BankAccount.id == FinancialTransaction.bank_account_id)
            .order_by(FinancialTransaction.transaction_date, FinancialTransaction.code)
            .limit(limit)
        )
        return [(transaction, category, account) for transaction, category, account in rows]

    async def recorded_since(self, since: datetime) -> int:
        """Live transactions recorded at or after ``since``."""
        count = await self.session.scalar(
            self.base_statement()
            .with_only_columns(func.count())
            .where(FinancialTransaction.created_at >= since)
        )
        return count or 0

    async def lock_recording(self) -> None:
        """Serialize recordings in this tenant until the transaction ends, so two
        requests cannot both take the plan's last slot of the month."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('finance.recording'))")
        )

    async def audit_trail(self, transaction_id: uuid.UUID) -> list[TransactionAudit]:
        """Changes of one transaction, oldest first."""
        rows = await self.session.scalars(
            select(TransactionAudit)
            .where(TransactionAudit.transaction_id == transaction_id)
            .order_by(TransactionAudit.at, TransactionAudit.id)
        )
        return list(rows)

    def add(self, transaction: FinancialTransaction) -> None:
        """Stage a new transaction (written at the next flush)."""
        self.session.add(transaction)

    def add_audit(self, entry: TransactionAudit) -> None:
        """Stage one entry of a transaction's audit trail."""
        self.session.add(entry)
