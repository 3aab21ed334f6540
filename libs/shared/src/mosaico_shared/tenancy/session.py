"""The request's tenant session: the dependency owns the transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_shared.auth.principal import CurrentPrincipal
from mosaico_shared.tenancy.engines import TenantDatabases


async def open_tenant_session(databases: TenantDatabases, tenant: str) -> AsyncSession:
    """A session on the tenant's database, connected now so that a missing database
    shows up here (as a problem) rather than half-way through a service function."""
    session = AsyncSession(databases.engine_for(tenant), expire_on_commit=False)
    try:
        await session.connection()
    except BaseException:
        await session.close()
        raise
    return session


async def tenant_session(
    request: Request, principal: CurrentPrincipal
) -> AsyncIterator[AsyncSession]:
    """Commit when the endpoint succeeds, roll back when it raises."""
    databases: TenantDatabases = request.app.state.databases
    session = await open_tenant_session(databases, principal.tenant)
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


#: Scope "function": the commit happens before the response leaves, so a client never
#: hears of a success whose commit then fails, nor reads before its own write landed.
TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
