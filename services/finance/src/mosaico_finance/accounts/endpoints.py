"""``/finance/v1/accounts``."""

from __future__ import annotations

import uuid
from decimal import Decimal

from fastapi import APIRouter
from mosaico_shared.problems import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from mosaico_shared.tenancy.session import TenantSession

from mosaico_finance.accounts import service
from mosaico_finance.accounts.auth import AccountsManager, AccountsReader
from mosaico_finance.accounts.schemas import AccountCreate, AccountOut, AccountUpdate
from mosaico_finance.models import BankAccount

router = APIRouter(prefix="/finance/v1/accounts", tags=["accounts"])


def account_out(account: BankAccount, balance: Decimal) -> AccountOut:
    return AccountOut.model_validate(
        {
            "id": account.id,
            "name": account.name,
            "bank_code": account.bank_code,
            "agency": account.agency,
            "account_number": account.account_number,
            "account_type": account.account_type,
            "opening_balance": account.opening_balance,
            "balance": balance,
            "active": account.active,
            "created_at": account.created_at,
        }
    )


@router.get(
    "", response_model=list[AccountOut], responses=problem_responses(Unauthorized, Forbidden)
)
async def list_accounts(principal: AccountsReader, session: TenantSession) -> list[AccountOut]:
    """Every bank account with its current balance."""
    return [account_out(a, b) for a, b in await service.list_accounts(session)]


@router.post(
    "",
    status_code=201,
    response_model=AccountOut,
    responses=problem_responses(Unauthorized, Forbidden, Conflict),
)
async def open_account(
    body: AccountCreate, principal: AccountsManager, session: TenantSession
) -> AccountOut:
    """Register a bank account with its opening balance."""
    account = await service.open_account(session, body)
    return account_out(account, account.opening_balance)


@router.get(
    "/{account_id}",
    response_model=AccountOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def get_account(
    account_id: uuid.UUID, principal: AccountsReader, session: TenantSession
) -> AccountOut:
    """One bank account; ``balance`` is opening balance + incomes - expenses."""
    return account_out(*await service.get_account(session, account_id))


@router.patch(
    "/{account_id}",
    response_model=AccountOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def update_account(
    account_id: uuid.UUID, body: AccountUpdate, principal: AccountsManager, session: TenantSession
) -> AccountOut:
    """Rename, correct the opening balance, or (de)activate an account."""
    return account_out(*await service.update_account(session, account_id, body))
