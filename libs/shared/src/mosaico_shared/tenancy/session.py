"""The tenant session: one owner of every transaction.

Routes that know their tenant from the verified token take ``TenantSession``; the few
public routes that cannot (login, refresh, accepting an invite) and background work
open one with ``tenant_session_for``. Either way, the transaction is committed when the
work succeeds and rolled back when it raises; services only ``flush()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_shared.auth.principal import CurrentPrincipal
from mosaico_shared.tenancy.engines import TenantDatabases

#: ``session.info`` key: the databases a session came from (the outbox tells their
#: listener what a commit wrote).
SESSION_DATABASES = "mosaico.databases"


async def open_tenant_session(databases: TenantDatabases, tenant: str) -> AsyncSession:
    """A session on the tenant's database, connected now so that a missing database
    shows up here (as a problem) rather than half-way through a service function."""
    session = AsyncSession(
        databases.engine_for(tenant), expire_on_commit=False, info={SESSION_DATABASES: databases}
    )
    try:
        await session.connection()
    except BaseException:
        await session.close()
        raise
    return session


@asynccontextmanager
async def tenant_session_for(
    databases: TenantDatabases,
    tenant: str,
    *,
    commit_on: tuple[type[BaseException], ...] = (),
) -> AsyncIterator[AsyncSession]:
    """A transaction on ``tenant``'s database: committed when the block succeeds,
    rolled back when it raises, except for the errors in ``commit_on``, which are
    committed and then re-raised (a refused login still counts the failed attempt)."""
    session = await open_tenant_session(databases, tenant)
    try:
        yield session
    except commit_on:
        await session.commit()
        raise
    except BaseException:
        await session.rollback()
        raise
    else:
        await session.commit()
    finally:
        await session.close()


async def tenant_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    """The request's session on the principal's tenant database."""
    async with tenant_session_for(request.app.state.databases, principal.tenant) as session:
        yield session


#: Scope "function": the commit happens before the response leaves, so a client never
#: hears of a success whose commit then fails, nor reads before its own write landed.
TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
