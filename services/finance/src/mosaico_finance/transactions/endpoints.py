"""``/finance/v1/transactions``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.schemas import QueryDate
from mosaico_shared.tenancy.session import TenantSession
from mosaico_shared.tenancy.status import CurrentTenant

from mosaico_finance.exports import CSV_RESPONSE, Dialect, csv_response
from mosaico_finance.transactions import service
from mosaico_finance.transactions.auth import TransactionsReader, TransactionsWriter
from mosaico_finance.transactions.repository import TransactionFilter
from mosaico_finance.transactions.schemas import (
    AuditEntryOut,
    TransactionCreate,
    TransactionOut,
    TransactionPage,
    TransactionType,
    TransactionUpdate,
)

router = APIRouter(prefix="/finance/v1/transactions", tags=["transactions"])


async def transaction_filter(
    date_from: Annotated[QueryDate | None, Query(alias="from")] = None,
    date_to: Annotated[QueryDate | None, Query(alias="to")] = None,
    type: TransactionType | None = None,
    category_id: uuid.UUID | None = None,
    bank_account_id: uuid.UUID | None = None,
) -> TransactionFilter:
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("from: must not be after to.")
    return TransactionFilter(date_from, date_to, type, category_id, bank_account_id)


Filter = Annotated[TransactionFilter, Depends(transaction_filter)]


@router.get(
    "",
    response_model=TransactionPage,
    responses=problem_responses(Unauthorized, Forbidden, InvalidInput),
)
async def list_transactions(
    principal: TransactionsReader,
    session: TenantSession,
    where: Filter,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> TransactionPage:
    """Live transactions, newest first, filtered by period, type, category or account."""
    rows, total = await service.list_transactions(session, where, limit=limit, offset=offset)
    return TransactionPage(
        items=[TransactionOut.model_validate(t) for t in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "",
    status_code=201,
    response_model=TransactionOut,
    responses=problem_responses(Unauthorized, Forbidden, LimitExceeded, InvalidInput, Conflict),
)
async def record_transaction(
    body: TransactionCreate,
    principal: TransactionsWriter,
    tenant: CurrentTenant,
    session: TenantSession,
) -> TransactionOut:
    """Record an income or an expense; its code (``LC12345678A``) is generated."""
    transaction = await service.record_transaction(
        session, tenant=tenant, actor=principal.user_id, body=body
    )
    return TransactionOut.model_validate(transaction)


@router.get(
    "/export.csv",
    response_class=Response,
    responses={**CSV_RESPONSE, **problem_responses(Unauthorized, Forbidden, InvalidInput)},
)
async def export_transactions(
    request: Request,
    principal: TransactionsReader,
    session: TenantSession,
    where: Filter,
    dialect: Dialect = "standard",
) -> Response:
    """Every live transaction matching the filters, as CSV (``dialect=br`` for
    spreadsheets in Portuguese)."""
    max_rows: int = request.app.state.settings.export_max_rows
    rows = await service.export_transactions(session, where, max_rows=max_rows)
    return csv_response(
        "transactions.csv",
        ["code", "date", "type", "amount", "description", "category", "bank_account"],
        (
            [t.code, t.transaction_date, t.type, t.amount, t.description, category, account]
            for t, category, account in rows
        ),
        dialect,
    )


@router.get(
    "/{code}",
    response_model=TransactionOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def get_transaction(
    code: str, principal: TransactionsReader, session: TenantSession
) -> TransactionOut:
    """One live transaction by its code."""
    return TransactionOut.model_validate(await service.get_transaction(session, code))


@router.patch(
    "/{code}",
    response_model=TransactionOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict, InvalidInput),
)
async def update_transaction(
    code: str, body: TransactionUpdate, principal: TransactionsWriter, session: TenantSession
) -> TransactionOut:
    """Change a transaction; the audit trail records before and after."""
    transaction = await service.update_transaction(
        session, code=code, actor=principal.user_id, body=body
    )
    return TransactionOut.model_validate(transaction)


@router.delete(
    "/{code}",
    status_code=204,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def delete_transaction(
    code: str, principal: TransactionsWriter, session: TenantSession
) -> Response:
    """Delete (softly): it leaves balances and reports; its audit trail stays."""
    await service.delete_transaction(session, code=code, actor=principal.user_id)
    return Response(status_code=204)


@router.get(
    "/{code}/audit",
    response_model=list[AuditEntryOut],
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def transaction_audit(
    code: str, principal: TransactionsReader, session: TenantSession
) -> list[AuditEntryOut]:
    """Who created, changed or deleted the transaction, and when, with before/after."""
    return [AuditEntryOut.model_validate(e) for e in await service.audit_trail(session, code)]
