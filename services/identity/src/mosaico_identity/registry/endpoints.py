"""Internal tenant registry API, used by the operator and by other modules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from mosaico_shared.auth import InternalCaller
from mosaico_shared.contracts.tenants import TenantRecord, TenantUpsert
from mosaico_shared.onboarding import TenantSlug
from mosaico_shared.problems import NotFound, problem_responses
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.registry import service

router = APIRouter(
    prefix="/identity/internal/tenants", tags=["internal"], dependencies=[InternalCaller]
)


async def platform_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session on ``identity_platform``; commits when the endpoint succeeds."""
    async with AsyncSession(request.app.state.platform_engine) as session, session.begin():
        yield session


PlatformSession = Annotated[AsyncSession, Depends(platform_session, scope="function")]


@router.put("/{tenant}", response_model=TenantRecord, summary="Create or update a tenant")
async def upsert_tenant(
    request: Request, body: TenantUpsert, session: PlatformSession, tenant: str = TenantSlug
) -> TenantRecord:
    record = await service.upsert_tenant(session, slug=tenant, tenant=body)
    request.app.state.tenant_status.forget(tenant)
    return record


@router.get("/{tenant}", response_model=TenantRecord, responses=problem_responses(NotFound))
async def get_tenant(session: PlatformSession, tenant: str = TenantSlug) -> TenantRecord:
    record = await service.get_tenant(session, tenant)
    if record is None:
        raise NotFound(f"Tenant {tenant!r} is not registered.")
    return record


@router.get("", response_model=list[TenantRecord])
async def list_tenants(session: PlatformSession) -> list[TenantRecord]:
    return await service.list_tenants(session)


@router.delete("/{tenant}", status_code=204, responses=problem_responses(NotFound))
async def remove_tenant(
    request: Request, session: PlatformSession, tenant: str = TenantSlug
) -> Response:
    if not await service.remove_tenant(session, tenant):
        raise NotFound(f"Tenant {tenant!r} is not registered.")
    request.app.state.tenant_status.forget(tenant)
    return Response(status_code=204)
