"""Bank accounts of a tenant. Balances are always derived, never stored."""

from __future__ import annotations

import uuid
from decimal import Decimal

from mosaico_shared.money import to_money
from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.accounts import repository
from mosaico_finance.accounts.schemas import AccountCreate, AccountUpdate
from mosaico_finance.models import BankAccount


async def open_account(session: AsyncSession, body: AccountCreate) -> BankAccount:
    """Register a bank account; bank, agency and number identify it within the tenant."""
    clash = await session.scalar(
        select(BankAccount.id).where(
            BankAccount.bank_code == body.bank_code,
            BankAccount.agency == body.agency,
            BankAccount.account_number == body.account_number,
        )
    )
    if clash is not None:
        raise Conflict("This bank account is already registered.")
    account = BankAccount(
        name=body.name,
        bank_code=body.bank_code,
        agency=body.agency,
        account_number=body.account_number,
        account_type=body.account_type,
        opening_balance=to_money(body.opening_balance),
        active=True,
    )
    session.add(account)
    await session.flush()
    await session.refresh(account)
    return account


async def list_accounts(session: AsyncSession) -> list[tuple[BankAccount, Decimal]]:
    """Every account with its balance."""
    return await repository.accounts_with_balances(session)


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> tuple[BankAccount, Decimal]:
    """One account with its balance, or ``NotFound``."""
    rows = await repository.accounts_with_balances(session, account_id)
    if not rows:
        raise NotFound("No such bank account in this tenant.")
    return rows[0]


async def update_account(
    session: AsyncSession, account_id: uuid.UUID, body: AccountUpdate
) -> tuple[BankAccount, Decimal]:
    """Rename, correct the opening balance, or (de)activate an account."""
    account = await session.get(BankAccount, account_id)
    if account is None:
        raise NotFound("No such bank account in this tenant.")
    if body.name is not None:
        account.name = body.name
    if body.opening_balance is not None:
        account.opening_balance = to_money(body.opening_balance)
    if body.active is not None:
        account.active = body.active
    await session.flush()
    return await get_account(session, account_id)


async def account_for_transaction(session: AsyncSession, account_id: uuid.UUID) -> BankAccount:
    """The active account a transaction may move, or ``InvalidInput``."""
    account = await session.get(BankAccount, account_id)
    if account is None:
        raise InvalidInput("bank_account_id: no such bank account in this tenant.")
    if not account.active:
        raise InvalidInput(f"bank_account_id: the account {account.name!r} is inactive.")
    return account
