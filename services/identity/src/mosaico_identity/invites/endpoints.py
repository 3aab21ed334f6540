"""``/identity/v1/invites`` and the operator's first-admin call."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from mosaico_shared.auth import OPERATOR, RequireCaller
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
from mosaico_shared.tenancy.session import TenantSession, tenant_session_for
from mosaico_shared.tenancy.status import CurrentTenant

from mosaico_identity.auth.service import check_tenant_open
from mosaico_identity.invites import service
from mosaico_identity.invites.auth import CanInvite
from mosaico_identity.invites.schemas import InviteAccept, InviteCreate, InviteIssued
from mosaico_identity.opaque_tokens import parse_token
from mosaico_identity.platform import Cutoffs
from mosaico_identity.users.schemas import UserOut

router = APIRouter(prefix="/identity/v1/invites", tags=["invites"])
internal = APIRouter(
    prefix="/identity/internal/tenants",
    tags=["internal"],
    dependencies=[Depends(RequireCaller(OPERATOR))],
)


@router.post(
    "",
    status_code=201,
    response_model=InviteIssued,
    responses=problem_responses(Forbidden, Conflict, LimitExceeded),
)
async def invite_user(
    request: Request,
    body: InviteCreate,
    principal: CanInvite,
    tenant: CurrentTenant,
    session: TenantSession,
) -> InviteIssued:
    """Invite someone by e-mail (the e-mail itself is sent by notifications)."""
    return await service.invite_user(
        session,
        tenant=tenant,
        body=body,
        invited_by=uuid.UUID(principal.user_id),
        actor_roles=principal.roles,
        ttl_days=request.app.state.settings.invite_ttl_days,
        sealer=request.app.state.sealer,
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
    async with tenant_session_for(state.databases, tenant.slug) as session:
        user = await service.accept_invite(session, tenant=tenant, token=token, body=body)
        return UserOut.model_validate(user)


@internal.put(
    "/{tenant}/admin",
    response_model=FirstAdminResult,
    responses=problem_responses(NotFound, Conflict, LimitExceeded),
    summary="Create the tenant's first admin, or restore them when no admin is left",
)
async def ensure_first_admin(
    request: Request, body: FirstAdmin, cutoffs: Cutoffs, tenant: str = TenantSlug
) -> FirstAdminResult:
    state = request.app.state
    state.tenant_status.forget(tenant)
    record = await state.tenant_status.status(tenant)
    if record is None:
        raise NotFound(f"Tenant {tenant!r} is not registered.")
    async with tenant_session_for(state.databases, tenant) as session:
        return await service.ensure_first_admin(
            session,
            tenant=record,
            admin=body,
            ttl_days=state.settings.invite_ttl_days,
            cutoffs=cutoffs,
            sealer=state.sealer,
        )
