"""Queries on bank accounts and the balances derived from their transactions."""

from __future__ import annotations

import uuid
from decimal import Decimal

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import Subquery, case, func, select

from mosaico_finance.models import BankAccount, FinancialTransaction

_signed_amount = case(
    (FinancialTransaction.type == "income", FinancialTransaction.amount),
    else_=-FinancialTransaction.amount,
)


def _movement_by_account() -> Subquery:
    return (
        select(
            FinancialTransaction.bank_account_id.label("account_id"),
            func.sum(_signed_amount).label("movement"),
        )
        .where(FinancialTransaction.deleted_at.is_(None))
        .group_by(FinancialTransaction.bank_account_id)
        .subquery()
    )


class AccountRepository(RepositoryBase[BankAccount]):
    model = BankAccount

    async def with_balances(
        self, account_id: uuid.UUID | None = None
    ) -> list[tuple[BankAccount, Decimal]]:
        """Accounts (one, or all by name) with opening balance + live transactions,
        summed as ``numeric`` by PostgreSQL."""
        movement = _movement_by_account()
        balance = BankAccount.opening_balance + func.coalesce(movement.c.movement, 0)
        query = (
            select(BankAccount, balance.label("balance"))
            .outerjoin(movement, movement.c.account_id == BankAccount.id)
            .order_by(BankAccount.name, BankAccount.id)
        )
        if account_id is not None:
            query = query.where(BankAccount.id == account_id)
        rows = await self.session.execute(query)
        return [(account, Decimal(value)) for account, value in rows]

    async def number_taken(self, *, bank_code: str, agency: str, account_number: str) -> bool:
        """True when bank, agency and number already identify an account here."""
        found = await self.session.scalar(
            select(BankAccount.id).where(
                BankAccount.bank_code == bank_code,
                BankAccount.agency == agency,
                BankAccount.account_number == account_number,
            )
        )
        return found is not None

    async def oldest_active_id(self) -> uuid.UUID | None:
        """The active account opened first (where income lands by default)."""
        return await self.session.scalar(
            select(BankAccount.id)
            .where(BankAccount.active)
            .order_by(BankAccount.created_at, BankAccount.id)
            .limit(1)
        )

    def add(self, account: BankAccount) -> None:
        """Stage a new account (written at the next flush)."""
        self.session.add(account)
