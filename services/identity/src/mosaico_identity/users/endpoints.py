"""``/identity/v1/me`` and ``/identity/v1/users``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from mosaico_shared.auth import CurrentPrincipal
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    LimitExceeded,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.responses import json_response
from mosaico_shared.tenancy.session import TenantSession
from mosaico_shared.tenancy.status import CurrentTenant

from mosaico_identity.platform import Cutoffs
from mosaico_identity.roles import ROLE_PERMISSIONS, ROLES
from mosaico_identity.users import service
from mosaico_identity.users.auth import CanReadUsers, CanWriteUsers
from mosaico_identity.users.schemas import PasswordChange, UserCreate, UserOut, UserPage, UserUpdate

router = APIRouter(prefix="/identity/v1", tags=["users"])


@router.get("/me", response_model=UserOut, responses=problem_responses(Unauthorized, Forbidden))
async def me(principal: CurrentPrincipal, session: TenantSession) -> Response:
    """The user the access token belongs to."""
    return json_response(await service.current_user_view(session, uuid.UUID(principal.user_id)))


@router.post("/me/password", status_code=204, responses=problem_responses(Unauthorized, Forbidden))
async def change_my_password(
    body: PasswordChange,
    principal: CurrentPrincipal,
    tenant: CurrentTenant,
    session: TenantSession,
    cutoffs: Cutoffs,
) -> Response:
    """Change the password. Every session of the user ends (refresh tokens revoked,
    earlier access tokens refused in every service), this one too: log in again."""
    await service.change_password(
        session,
        tenant=tenant,
        user_id=uuid.UUID(principal.user_id),
        current=body.current_password,
        new=body.new_password,
        cutoffs=cutoffs,
    )
    return Response(status_code=204)


@router.get("/roles", summary="Roles and the identity permissions they grant")
async def roles(principal: CurrentPrincipal) -> dict[str, list[str]]:
    return {role: sorted(ROLE_PERMISSIONS.get(role, {"*"})) for role in ROLES}


@router.get("/users", response_model=UserPage, responses=problem_responses(Forbidden, InvalidInput))
async def list_users(
    principal: CanReadUsers,
    session: TenantSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> UserPage:
    """Users by creation order, a page at a time (``next_cursor`` gives the next)."""
    page = await service.list_users(session, limit=limit, cursor=cursor)
    return UserPage(
        items=[UserOut.model_validate(u) for u in page.items],
        limit=limit,
        next_cursor=page.next_cursor,
    )


@router.post(
    "/users",
    status_code=201,
    response_model=UserOut,
    responses=problem_responses(Forbidden, Conflict, LimitExceeded),
)
async def create_user(
    body: UserCreate, principal: CanWriteUsers, tenant: CurrentTenant, session: TenantSession
) -> UserOut:
    """Add a user with a password, and roles the caller may grant."""
    user = await service.create_user_from(
        session, tenant=tenant, actor_roles=principal.roles, body=body
    )
    return UserOut.model_validate(user)


@router.get("/users/{user_id}", response_model=UserOut, responses=problem_responses(NotFound))
async def get_user(user_id: uuid.UUID, principal: CanReadUsers, session: TenantSession) -> UserOut:
    return UserOut.model_validate(await service.get_user(session, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserOut,
    responses=problem_responses(NotFound, Forbidden, Conflict, LimitExceeded),
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    principal: CanWriteUsers,
    tenant: CurrentTenant,
    session: TenantSession,
    cutoffs: Cutoffs,
) -> UserOut:
    """Change a user; a new set of roles or a deactivation ends their sessions and, in
    every service within the tenant-status TTL, their earlier access tokens."""
    user = await service.update_user(
        session,
        tenant=tenant,
        actor_roles=principal.roles,
        user_id=user_id,
        body=body,
        cutoffs=cutoffs,
    )
    return UserOut.model_validate(user)
