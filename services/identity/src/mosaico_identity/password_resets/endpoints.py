"""``/identity/v1/auth/password-reset``: ask for a reset link, then set a new password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from mosaico_shared.problems import (
    TenantSuspended,
    TooManyRequests,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import tenant_session_for

from mosaico_identity.auth.endpoints import client_address
from mosaico_identity.auth.service import count_address_attempt
from mosaico_identity.opaque_tokens import parse_token
from mosaico_identity.password_resets import service
from mosaico_identity.password_resets.schemas import (
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
)
from mosaico_identity.platform import Cutoffs, platform_transaction

router = APIRouter(prefix="/identity/v1/auth/password-reset", tags=["auth"])

ACCEPTED = PasswordResetAccepted(
    detail="If the login belongs to an active user, a reset link is on its way to their e-mail."
)


@router.post(
    "",
    status_code=202,
    response_model=PasswordResetAccepted,
    responses=problem_responses(TenantSuspended, TooManyRequests),
    summary="Ask for a password reset link by e-mail",
)
async def request_password_reset(
    request: Request, body: PasswordResetRequest
) -> PasswordResetAccepted:
    """The same answer whether or not anyone has the login. Requests are throttled per
    login and per client address like failed logins (``Retry-After``)."""
    state = request.app.state
    tenant = await state.tenant_status.status(body.tenant)
    if tenant is not None and tenant.suspended:
        raise TenantSuspended(f"Tenant {tenant.slug!r} is suspended.")
    async with platform_transaction(state.platform_engine) as platform:
        await count_address_attempt(
            platform, address=client_address(request), settings=state.settings, purpose="reset"
        )
    if tenant is not None:
        async with tenant_session_for(state.databases, tenant.slug) as session:
            await service.request_password_reset(
                session, tenant=tenant, login=body.login, settings=state.settings,
                sealer=state.sealer,
            )  # fmt: skip
    return ACCEPTED


@router.post(
    "/confirm",
    status_code=204,
    responses=problem_responses(Unauthorized, TenantSuspended),
    summary="Set a new password with the reset link's token",
)
async def confirm_password_reset(
    request: Request, body: PasswordResetConfirm, cutoffs: Cutoffs
) -> Response:
    """The token works once; every session of the user ends."""
    token = parse_token(body.token, what="password reset link")
    state = request.app.state
    tenant = await state.tenant_status.status(token.tenant)
    if tenant is None:
        raise Unauthorized(service.INVALID_LINK)
    if tenant.suspended:
        raise TenantSuspended(f"Tenant {tenant.slug!r} is suspended.")
    async with tenant_session_for(state.databases, tenant.slug) as session:
        await service.reset_password(
            session, tenant=tenant, token=token, new_password=body.new_password, cutoffs=cutoffs
        )
    return Response(status_code=204)
