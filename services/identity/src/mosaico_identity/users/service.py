"""Users of a tenant: creation under the plan's limit, updates, passwords."""

from __future__ import annotations

import uuid

from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import Conflict, LimitExceeded, NotFound, Unauthorized
from sqlalchemy import func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.auth.tokens import revoke_user_tokens
from mosaico_identity.models.tenant import User
from mosaico_identity.passwords import hash_password, verify_password
from mosaico_identity.users.schemas import UserCreate, UserUpdate


async def ensure_user_capacity(session: AsyncSession, tenant: TenantRecord) -> None:
    """Refuse a new active user past the plan's ``max_users``."""
    limit = tenant.limits.max_users
    if limit is None:
        return
    # Two admins adding users at once must not both take the last seat.
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('identity.users'))"))
    active = await session.scalar(select(func.count()).select_from(User).where(User.active))
    if (active or 0) >= limit:
        raise LimitExceeded(
            f"The plan {tenant.plan!r} allows {limit} active users.", limit="max_users", max=limit
        )


async def ensure_unique(session: AsyncSession, *, cpf: str, email: str) -> None:
    """CPF and e-mail are unique within the tenant."""
    clash = await session.scalar(
        select(User).where(or_(User.cpf == cpf, User.email == email.lower()))
    )
    if clash is not None:
        field = "CPF" if clash.cpf == cpf else "e-mail"
        raise Conflict(f"A user with this {field} already exists in the tenant.")


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
    """Add a user; the password is hashed with argon2id."""
    await ensure_user_capacity(session, tenant)
    await ensure_unique(session, cpf=cpf, email=email)
    user = User(
        full_name=full_name,
        cpf=cpf,
        email=email.lower(),
        whatsapp=whatsapp,
        password_hash=await hash_password(password) if password else None,
        roles=sorted(set(roles)),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    await session.flush()
    return user


async def create_user_from(
    session: AsyncSession, *, tenant: TenantRecord, body: UserCreate
) -> User:
    """``create_user`` with an API body."""
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
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("No such user in this tenant.")
    return user


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[User], int]:
    """A page of users by creation order (ties broken by id, so pages are stable)."""
    total = await session.scalar(select(func.count()).select_from(User)) or 0
    rows = await session.scalars(
        select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
    )
    return list(rows), total


async def update_user(
    session: AsyncSession, *, tenant: TenantRecord, user_id: uuid.UUID, body: UserUpdate
) -> User:
    """Change name, phone, roles or active; deactivating ends the user's sessions."""
    user = await get_user(session, user_id)
    if body.active is True and not user.active:
        await ensure_user_capacity(session, tenant)
    changes = body.model_dump(exclude_unset=True)
    if "roles" in changes and changes["roles"] is not None:
        changes["roles"] = sorted(set(changes["roles"]))
    for field, value in changes.items():
        if value is not None:
            setattr(user, field, value)
    if body.active is False:
        await revoke_user_tokens(session, user.id)
    await session.flush()
    return user


async def change_password(
    session: AsyncSession, *, user_id: uuid.UUID, current: str, new: str
) -> None:
    """Check the current password, set the new one and end every other session."""
    user = await get_user(session, user_id)
    if not await verify_password(user.password_hash, current):
        raise Unauthorized("The current password is wrong.")
    user.password_hash = await hash_password(new)
    await revoke_user_tokens(session, user.id)
