"""``/identity/v1/me`` and ``/identity/v1/users``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from mosaico_shared.auth import CurrentPrincipal, Principal, RequirePermission
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    LimitExceeded,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import TenantSession

from mosaico_identity.roles import ROLE_PERMISSIONS, ROLES
from mosaico_identity.users import service
from mosaico_identity.users.schemas import PasswordChange, UserCreate, UserOut, UserPage, UserUpdate

router = APIRouter(prefix="/identity/v1", tags=["users"])

CanReadUsers = Annotated[Principal, Depends(RequirePermission("users:read"))]
CanWriteUsers = Annotated[Principal, Depends(RequirePermission("users:write"))]


async def _tenant(request: Request, principal: Principal) -> TenantRecord:
    record: TenantRecord = await request.app.state.tenant_status.status(principal.tenant)
    return record


@router.get("/me", response_model=UserOut, responses=problem_responses(Unauthorized, Forbidden))
async def me(principal: CurrentPrincipal, session: TenantSession) -> UserOut:
    """The user the access token belongs to."""
    user = await service.get_user(session, uuid.UUID(principal.user_id))
    return UserOut.model_validate(user)


@router.post("/me/password", status_code=204, responses=problem_responses(Unauthorized, Forbidden))
async def change_my_password(
    body: PasswordChange, principal: CurrentPrincipal, session: TenantSession
) -> Response:
    """Change the password; every refresh token of the user is revoked."""
    await service.change_password(
        session,
        user_id=uuid.UUID(principal.user_id),
        current=body.current_password,
        new=body.new_password,
    )
    return Response(status_code=204)


@router.get("/roles", summary="Roles and the identity permissions they grant")
async def roles(principal: CurrentPrincipal) -> dict[str, list[str]]:
    return {role: sorted(ROLE_PERMISSIONS.get(role, {"*"})) for role in ROLES}


@router.get("/users", response_model=UserPage, responses=problem_responses(Forbidden))
async def list_users(
    principal: CanReadUsers,
    session: TenantSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> UserPage:
    users, total = await service.list_users(session, limit=limit, offset=offset)
    return UserPage(
        items=[UserOut.model_validate(u) for u in users], total=total, limit=limit, offset=offset
    )


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(Forbidden, Conflict, LimitExceeded),
)
async def create_user(
    request: Request, body: UserCreate, principal: CanWriteUsers, session: TenantSession
) -> UserOut:
    tenant = await _tenant(request, principal)
    return UserOut.model_validate(await service.create_user_from(session, tenant=tenant, body=body))


@router.get("/users/{user_id}", response_model=UserOut, responses=problem_responses(NotFound))
async def get_user(user_id: uuid.UUID, principal: CanReadUsers, session: TenantSession) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses=problem_responses(NotFound, Forbidden, LimitExceeded),
)
async def update_user(
    request: Request,
    user_id: uuid.UUID,
    body: UserUpdate,
    principal: CanWriteUsers,
    session: TenantSession,
) -> UserOut:
    tenant = await _tenant(request, principal)
    user = await service.update_user(session, tenant=tenant, user_id=user_id, body=body)
    return UserOut.model_validate(user)
