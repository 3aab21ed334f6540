"""Internal tenant registry API, used by the operator and by other modules."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from mosaico_shared.auth import OPERATOR, SERVICES, RequireCaller
from mosaico_shared.contracts.tenants import TenantRecord, TenantUpsert
from mosaico_shared.onboarding import TenantSlug
from mosaico_shared.problems import NotFound, problem_responses

from mosaico_identity.platform import Cutoffs, PlatformSession
from mosaico_identity.registry import service

router = APIRouter(prefix="/identity/internal/tenants", tags=["internal"])

#: The operator keeps the registry; module services only read a tenant's status.
ByOperator = [Depends(RequireCaller(OPERATOR))]
ByServices = [Depends(RequireCaller(OPERATOR, *SERVICES))]


@router.put(
    "/{tenant}",
    response_model=TenantRecord,
    summary="Create or update a tenant",
    dependencies=ByOperator,
)
async def upsert_tenant(
    request: Request,
    body: TenantUpsert,
    session: PlatformSession,
    cutoffs: Cutoffs,
    tenant: str = TenantSlug,
) -> TenantRecord:
    record = await service.upsert_tenant(
        session, slug=tenant, tenant=body, cutoffs_since=cutoffs.since()
    )
    request.app.state.tenant_status.forget(tenant)
    return record


@router.get(
    "/{tenant}",
    response_model=TenantRecord,
    responses=problem_responses(NotFound),
    dependencies=ByServices,
)
async def get_tenant(
    session: PlatformSession, cutoffs: Cutoffs, tenant: str = TenantSlug
) -> TenantRecord:
    record = await service.get_tenant(session, tenant, cutoffs_since=cutoffs.since())
    if record is None:
        raise NotFound(f"Tenant {tenant!r} is not registered.")
    return record


@router.get("", response_model=list[TenantRecord], dependencies=ByOperator)
async def list_tenants(session: PlatformSession, cutoffs: Cutoffs) -> list[TenantRecord]:
    return await service.list_tenants(session, cutoffs_since=cutoffs.since())


@router.delete(
    "/{tenant}", status_code=204, responses=problem_responses(NotFound), dependencies=ByOperator
)
async def remove_tenant(
    request: Request, session: PlatformSession, tenant: str = TenantSlug
) -> Response:
    if not await service.remove_tenant(session, tenant):
        raise NotFound(f"Tenant {tenant!r} is not registered.")
    request.app.state.tenant_status.forget(tenant)
    return Response(status_code=204)
