"""``/identity/v1/invites`` and the operator's first-admin call."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from mosaico_shared.auth import InternalCaller, Principal, RequirePermission
from mosaico_shared.contracts.tenants import FirstAdmin, FirstAdminResult
from mosaico_shared.onboarding import TenantSlug
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    LimitExceeded,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import TenantSession, open_tenant_session

from mosaico_identity.auth.service import check_tenant_open
from mosaico_identity.invites import service
from mosaico_identity.invites.schemas import InviteAccept, InviteCreate, InviteIssued
from mosaico_identity.opaque_tokens import parse_token
from mosaico_identity.users.schemas import UserOut

router = APIRouter(prefix="/identity/v1/invites", tags=["invites"])
internal = APIRouter(
    prefix="/identity/internal/tenants", tags=["internal"], dependencies=[InternalCaller]
)

CanInvite = Annotated[Principal, Depends(RequirePermission("invites:write"))]


@router.post(
    "",
    status_code=201,
    response_model=InviteIssued,
    responses=problem_responses(Forbidden, Conflict, LimitExceeded),
)
async def invite_user(
    request: Request, body: InviteCreate, principal: CanInvite, session: TenantSession
) -> InviteIssued:
    """Invite someone by e-mail (the e-mail itself is sent by notifications)."""
    tenant = await request.app.state.tenant_status.status(principal.tenant)
    return await service.invite_user(
        session,
        tenant=tenant,
        body=body,
        invited_by=uuid.UUID(principal.user_id),
        ttl_days=request.app.state.settings.invite_ttl_days,
    )


@router.post(
    "/accept",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(Unauthorized, Conflict, LimitExceeded),
)
async def accept_invite(request: Request, body: InviteAccept) -> UserOut:
    """Join the tenant named in the invite token, choosing a password."""
    token = parse_token(body.token, what="invite")
    state = request.app.state
    tenant = check_tenant_open(await state.tenant_status.status(token.tenant))
    session = await open_tenant_session(state.databases, tenant.slug)
    async with session:
        user = await service.accept_invite(session, tenant=tenant, token=token, body=body)
        await session.commit()
    return UserOut.model_validate(user)


@internal.put(
    "/{tenant}/admin",
    response_model=FirstAdminResult,
    responses=problem_responses(NotFound, Conflict, LimitExceeded),
    summary="Create the tenant's first admin (idempotent)",
)
async def ensure_first_admin(
    request: Request, body: FirstAdmin, tenant: str = TenantSlug
) -> FirstAdminResult:
    state = request.app.state
    state.tenant_status.forget(tenant)
    record = await state.tenant_status.status(tenant)
    if record is None:
        raise NotFound(f"Tenant {tenant!r} is not registered.")
    session = await open_tenant_session(state.databases, tenant)
    async with session:
        result = await service.ensure_first_admin(
            session, tenant=record, admin=body, ttl_days=state.settings.invite_ttl_days
        )
        await session.commit()
    return result
