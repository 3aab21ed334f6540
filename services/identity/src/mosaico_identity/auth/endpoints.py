"""``/identity/v1/auth``: login, refresh, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from mosaico_shared.problems import (
    NotFound,
    Problem,
    TenantSuspended,
    TooManyRequests,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import open_tenant_session

from mosaico_identity.auth import service
from mosaico_identity.auth.schemas import LoginRequest, RefreshRequest, TokenPair
from mosaico_identity.opaque_tokens import parse_token

router = APIRouter(prefix="/identity/v1/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=TokenPair,
    responses=problem_responses(Unauthorized, TenantSuspended, NotFound, TooManyRequests),
    summary="Log in with tenant, CPF or e-mail, and password",
)
async def login(request: Request, body: LoginRequest) -> TokenPair:
    state = request.app.state
    tenant = service.check_tenant_open(await state.tenant_status.status(body.tenant))
    session = await open_tenant_session(state.databases, tenant.slug)
    async with session:
        try:
            pair = await service.login(
                session,
                request=body,
                tenant=tenant,
                keys=state.signing_keys,
                settings=state.settings,
            )
        except Problem:
            await session.commit()  # keep the failed-attempt count
            raise
        await session.commit()
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
    session = await open_tenant_session(state.databases, tenant.slug)
    async with session:
        try:
            pair = await service.refresh(
                session,
                token=token,
                tenant=tenant,
                keys=state.signing_keys,
                settings=state.settings,
            )
        except service.RefreshReused:
            await session.commit()  # the family's revocation must stick
            raise
        await session.commit()
    return pair


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
    session = await open_tenant_session(request.app.state.databases, token.tenant)
    async with session:
        await service.logout(session, token=token)
        await session.commit()
    return Response(status_code=204)
