"""``/identity/v1/auth``: login, refresh, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from mosaico_shared.problems import (
    NotFound,
    TenantSuspended,
    TooManyRequests,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import tenant_session_for

from mosaico_identity.auth import service
from mosaico_identity.auth.schemas import LoginRequest, RefreshRequest, TokenPair
from mosaico_identity.opaque_tokens import parse_token
from mosaico_identity.platform import platform_transaction

router = APIRouter(prefix="/identity/v1/auth", tags=["auth"])


def client_address(request: Request) -> str:
    """The caller's address as the ASGI server saw it (uvicorn takes it from
    ``X-Forwarded-For`` only when the peer is a trusted proxy)."""
    return request.client.host if request.client else "unknown"


@router.post(
    "/login",
    response_model=TokenPair,
    responses=problem_responses(Unauthorized, TenantSuspended, NotFound, TooManyRequests),
    summary="Log in with tenant, CPF or e-mail, and password",
)
async def login(request: Request, body: LoginRequest) -> TokenPair:
    """Failed attempts are throttled per login and per client address: a few are free,
    then each further one waits twice as long as the one before (``Retry-After``)."""
    state = request.app.state
    settings = state.settings
    tenant = await state.tenant_status.status(body.tenant)
    if tenant is not None and tenant.suspended:
        raise TenantSuspended(f"Tenant {tenant.slug!r} is suspended.")
    address = client_address(request)
    # Each count is committed before the password is checked, so that parallel
    # attempts see each other's.
    async with platform_transaction(state.platform_engine) as platform:
        await service.count_address_attempt(platform, address=address, settings=settings)
    if tenant is None:
        await service.check_password(None, body.password)  # spends a real check's work
    assert tenant is not None
    async with tenant_session_for(state.databases, tenant.slug) as session:
        attempt = await service.begin_login(session, login=body.login, settings=settings)
    await service.check_password(attempt, body.password)
    async with tenant_session_for(state.databases, tenant.slug) as session:
        pair = await service.finish_login(
            session, attempt=attempt, tenant=tenant, keys=state.signing_keys, settings=settings
        )
    async with platform_transaction(state.platform_engine) as platform:
        await service.uncount_address_attempt(platform, address=address)
    return pair


@router.post(
    "/refresh",
    response_model=TokenPair,
    responses=problem_responses(Unauthorized, TenantSuspended),
    summary="Exchange a refresh token for a new pair (the old one is spent)",
)
async def refresh(request: Request, body: RefreshRequest) -> TokenPair:
    state = request.app.state
    token = parse_token(body.refresh_token, what="refresh token")
    tenant = service.check_tenant_open(await state.tenant_status.status(token.tenant))
    # A reused token revokes its whole family, and that revocation must stick.
    commit_on = (service.RefreshReused,)
    async with tenant_session_for(state.databases, tenant.slug, commit_on=commit_on) as session:
        return await service.refresh(
            session, token=token, tenant=tenant, keys=state.signing_keys, settings=state.settings
        )


@router.post(
    "/logout",
    status_code=204,
    responses=problem_responses(Unauthorized),
    summary="Revoke the session a refresh token belongs to",
)
async def logout(request: Request, body: RefreshRequest) -> Response:
    token = parse_token(body.refresh_token, what="refresh token")
    if await request.app.state.tenant_status.status(token.tenant) is None:
        raise Unauthorized("The refresh token is not valid.")
    async with tenant_session_for(request.app.state.databases, token.tenant) as session:
        await service.logout(session, token=token)
    return Response(status_code=204)
