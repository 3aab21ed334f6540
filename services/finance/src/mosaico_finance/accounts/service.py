"""Bank accounts of a tenant. Balances are always derived, never stored."""

from __future__ import annotations

import uuid
from decimal import Decimal

from mosaico_shared.money import to_money
from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.accounts.repository import AccountRepository
from mosaico_finance.accounts.schemas import AccountCreate, AccountUpdate
from mosaico_finance.models import BankAccount


async def open_account(session: AsyncSession, body: AccountCreate) -> BankAccount:
    """Register a bank account; bank, agency and number identify it within the tenant."""
    accounts = AccountRepository(session)
    if await accounts.number_taken(
        bank_code=body.bank_code, agency=body.agency, account_number=body.account_number
    ):
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
    accounts.add(account)
    await session.flush()
    await session.refresh(account)
    return account


async def list_accounts(session: AsyncSession) -> list[tuple[BankAccount, Decimal]]:
    """Every account with its balance."""
    return await AccountRepository(session).with_balances()


async def get_account(session: AsyncSession, account_id: uuid.UUID) -> tuple[BankAccount, Decimal]:
    """One account with its balance, or ``NotFound``."""
    rows = await AccountRepository(session).with_balances(account_id)
    if not rows:
        raise NotFound("No such bank account in this tenant.")
    return rows[0]


async def update_account(
    session: AsyncSession, account_id: uuid.UUID, body: AccountUpdate
) -> tuple[BankAccount, Decimal]:
    """Rename, correct the opening balance, or (de)activate an account."""
    account = await AccountRepository(session).get_by_id(account_id, for_update=True)
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
    """The active account a transaction may move: ``InvalidInput`` when there is none,
    ``Conflict`` when it is inactive."""
    account = await AccountRepository(session).get_by_id(account_id)
    if account is None:
        raise InvalidInput("bank_account_id: no such bank account in this tenant.")
    if not account.active:
        raise Conflict(f"bank_account_id: the account {account.name!r} is inactive.")
    return account
