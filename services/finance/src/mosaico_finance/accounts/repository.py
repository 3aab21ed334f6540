"""Queries on bank accounts and the balances derived from their transactions."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import Subquery, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def accounts_with_balances(
    session: AsyncSession, account_id: uuid.UUID | None = None
) -> list[tuple[BankAccount, Decimal]]:
    """Accounts (one, or all by name) with opening balance + live transactions, summed
    as ``numeric`` by PostgreSQL."""
    movement = _movement_by_account()
    balance = BankAccount.opening_balance + func.coalesce(movement.c.movement, 0)
    query = (
        select(BankAccount, balance.label("balance"))
        .outerjoin(movement, movement.c.account_id == BankAccount.id)
        .order_by(BankAccount.name, BankAccount.id)
    )
    if account_id is not None:
        query = query.where(BankAccount.id == account_id)
    rows = await session.execute(query)
    return [(account, Decimal(value)) for account, value in rows]
