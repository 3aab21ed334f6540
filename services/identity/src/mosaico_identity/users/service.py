"""Users of a tenant: creation under the plan's limit, roles only from those who hold
them, never without an active admin, and access revoked when it is taken away."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mosaico_shared.contracts.identity import PasswordChanged
from mosaico_shared.contracts.roles import ADMIN
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import Conflict, Forbidden, LimitExceeded, NotFound, Unauthorized
from mosaico_shared.repository import KeysetPage
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.auth.repository import RefreshTokenRepository
from mosaico_identity.events import record_identity_event
from mosaico_identity.models.tenant import User
from mosaico_identity.passwords import hash_password, verify_password
from mosaico_identity.registry.service import TokenCutoffs, next_whole_second
from mosaico_identity.roles import grantable_roles
from mosaico_identity.users.repository import UserRepository
from mosaico_identity.users.schemas import UserCreate, UserOut, UserUpdate


def ensure_may_grant(actor_roles: Iterable[str], roles: Iterable[str]) -> None:
    """Refuse giving (or taking away) a role the actor does not hold; admins may all."""
    refused = sorted(set(roles) - grantable_roles(actor_roles))
    if refused:
        raise Forbidden(
            f"You may not grant or take away roles you do not hold: {', '.join(refused)}."
        )


async def ensure_user_capacity(users: UserRepository, tenant: TenantRecord) -> None:
    """Refuse a new active user past the plan's ``max_users``."""
    limit = tenant.limits.max_users
    if limit is None:
        return
    await users.lock_seats()
    if await users.count_active() >= limit:
        raise LimitExceeded(
            f"The plan {tenant.plan!r} allows {limit} active users.", limit="max_users", max=limit
        )


async def ensure_unique(users: UserRepository, *, cpf: str, email: str) -> None:
    """CPF and e-mail are unique within the tenant."""
    clash = await users.clash(cpf=cpf, email=email)
    if clash is not None:
        field = "CPF" if clash.cpf == cpf else "e-mail"
        raise Conflict(f"A user with this {field} already exists in the tenant.")


async def revoke_access(
    session: AsyncSession, *, tenant: TenantRecord, user: User, cutoffs: TokenCutoffs
) -> None:
    """End every session of ``user`` and refuse, in every service, the access tokens
    issued to them until now. The cutoff is published before this transaction commits."""
    not_before = next_whole_second()
    await cutoffs.record(tenant.slug, user.id, not_before)
    user.tokens_not_before = max(user.tokens_not_before or 0, not_before)
    await RefreshTokenRepository(session).revoke_for_user(user.id)


async def create_user(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    full_name: str,
    cpf: str,
    email: str,
    whatsapp: str | None,
    password: str | None,
    roles: list[str],
) -> User:
    """Add a user; the password is hashed with argon2id. Whoever calls this has checked
    that the roles may be granted."""
    users = UserRepository(session)
    await ensure_user_capacity(users, tenant)
    await ensure_unique(users, cpf=cpf, email=email)
    user = User(
        full_name=full_name,
        cpf=cpf,
        email=email.lower(),
        whatsapp=whatsapp,
        password_hash=await hash_password(password) if password else None,
        roles=sorted(set(roles)),
        active=True,
    )
    users.add(user)
    await session.flush()
    return user


async def create_user_from(
    session: AsyncSession, *, tenant: TenantRecord, actor_roles: Iterable[str], body: UserCreate
) -> User:
    """``create_user`` with an API body, with roles the actor may grant."""
    ensure_may_grant(actor_roles, body.roles)
    return await create_user(
        session,
        tenant=tenant,
        full_name=body.full_name,
        cpf=body.cpf,
        email=str(body.email),
        whatsapp=body.whatsapp,
        password=body.password,
        roles=list(body.roles),
    )


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    """A user of this tenant, or ``NotFound``."""
    user = await UserRepository(session).get_by_id(user_id)
    if user is None:
        raise NotFound("No such user in this tenant.")
    return user


async def current_user_view(session: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
    """The user an access token speaks for (the fields of ``UserOut``), while they are
    active: read as one plain row, since it is only answered."""
    user = await UserRepository(session).row_by_id(user_id, USER_OUT_COLUMNS)
    if user is None or not user["active"]:
        raise Unauthorized("The user is no longer active.")
    return user


#: What a user shows: ``UserOut``'s fields, every one a column of ``users``.
USER_OUT_COLUMNS = tuple(UserOut.model_fields)


async def list_users(session: AsyncSession, *, limit: int, cursor: str | None) -> KeysetPage[User]:
    """A page of users by creation order, after ``cursor``."""
    return await UserRepository(session).page(limit=limit, cursor=cursor)


async def update_user(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    actor_roles: Iterable[str],
    user_id: uuid.UUID,
    body: UserUpdate,
    cutoffs: TokenCutoffs,
) -> User:
    """Change name, phone, roles or active.

    Only roles the actor may grant can be given or taken away, the last active admin
    keeps the admin role and stays active (409), and deactivating a user or changing
    their roles ends their sessions and refuses their earlier access tokens.
    """
    users = UserRepository(session)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    if "roles" in changes or "active" in changes:
        await users.lock_admins()
    user = await users.get_by_id(user_id, for_update=True)
    if user is None:
        raise NotFound("No such user in this tenant.")
    roles = sorted(set(changes.pop("roles", user.roles)))
    active = changes.pop("active", user.active)
    roles_changed = set(roles) != set(user.roles)
    if roles_changed or active != user.active:
        ensure_may_grant(actor_roles, {*user.roles, *roles})
    loses_admin = ADMIN in user.roles and (ADMIN not in roles or not active)
    if user.active and loses_admin and await users.count_active_admins() <= 1:
        raise Conflict("This is the tenant's last active admin: make another user admin first.")
    if active and not user.active:
        await ensure_user_capacity(users, tenant)
    if roles_changed or (user.active and not active):
        await revoke_access(session, tenant=tenant, user=user, cutoffs=cutoffs)
    for field, value in changes.items():
        setattr(user, field, value)
    user.roles, user.active = roles, active
    await session.flush()
    return user


async def set_password(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    user: User,
    password: str,
    cutoffs: TokenCutoffs,
) -> None:
    """Give ``user`` a new password and end every session they had: their refresh
    tokens are revoked and their earlier access tokens refused in every service (the
    not-before cutoff). The ``PasswordChanged`` event lets the owner of the address hear
    of it."""
    user.password_hash = await hash_password(password)
    await revoke_access(session, tenant=tenant, user=user, cutoffs=cutoffs)
    record_identity_event(
        session,
        tenant=tenant.slug,
        event=PasswordChanged(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            changed_at=datetime.now(UTC),
        ),
    )
    await session.flush()


async def change_password(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    user_id: uuid.UUID,
    current: str,
    new: str,
    cutoffs: TokenCutoffs,
) -> None:
    """Check the current password and set the new one (``set_password``): every
    session ends, this one too, so the user logs in again with the new password."""
    users = UserRepository(session)
    user = await users.get_by_id(user_id, for_update=True)
    if user is None:
        raise NotFound("No such user in this tenant.")
    if not await verify_password(user.password_hash, current):
        raise Unauthorized("The current password is wrong.")
    await set_password(session, tenant=tenant, user=user, password=new, cutoffs=cutoffs)
