"""Invites: a one-time token that lets someone join the tenant with given roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from mosaico_shared.contracts.identity import InviteAccepted, UserInvited
from mosaico_shared.contracts.roles import ADMIN
from mosaico_shared.contracts.tenants import FirstAdmin, FirstAdminResult, TenantRecord
from mosaico_shared.events.sealing import Sealer
from mosaico_shared.problems import Unauthorized
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.events import record_identity_event
from mosaico_identity.invites.repository import InviteRepository
from mosaico_identity.invites.schemas import InviteAccept, InviteCreate, InviteIssued
from mosaico_identity.models.tenant import Invite, User
from mosaico_identity.opaque_tokens import OpaqueToken, new_token, secret_matches
from mosaico_identity.registry.service import TokenCutoffs
from mosaico_identity.users.repository import UserRepository
from mosaico_identity.users.service import (
    create_user,
    ensure_may_grant,
    ensure_unique,
    ensure_user_capacity,
    revoke_access,
)


async def invite_user(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    body: InviteCreate,
    invited_by: uuid.UUID,
    actor_roles: Iterable[str],
    ttl_days: int,
    sealer: Sealer,
) -> InviteIssued:
    """Invite someone with roles the inviter may grant (see ``ensure_may_grant``)."""
    ensure_may_grant(actor_roles, body.roles)
    return await issue_invite(
        session, tenant=tenant, body=body, invited_by=invited_by, ttl_days=ttl_days, sealer=sealer
    )


async def issue_invite(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    body: InviteCreate,
    invited_by: uuid.UUID | None,
    ttl_days: int,
    sealer: Sealer,
    cpf: str | None = None,
) -> InviteIssued:
    """Issue an invite; the token is returned once and only its hash is kept. The
    ``UserInvited`` event carries it sealed, for the e-mail notifications sends."""
    users = UserRepository(session)
    await ensure_user_capacity(users, tenant)
    await ensure_unique(users, cpf=cpf or "", email=str(body.email))
    token = new_token(tenant.slug)
    invite = Invite(
        id=token.id,
        email=str(body.email).lower(),
        full_name=body.full_name,
        cpf=cpf,
        roles=sorted(set(body.roles)),
        secret_hash=token.secret_hash,
        invited_by=invited_by,
        expires_at=datetime.now(UTC) + timedelta(days=ttl_days),
    )
    InviteRepository(session).add(invite)
    await session.flush()
    record_identity_event(
        session,
        tenant=tenant.slug,
        event=UserInvited(
            invite_id=invite.id,
            email=invite.email,
            full_name=invite.full_name,
            roles=invite.roles,
            invited_by=invite.invited_by,
            expires_at=invite.expires_at,
            sealed_token=sealer.seal(str(token)),
        ),
    )
    return InviteIssued(
        id=invite.id,
        email=invite.email,
        roles=invite.roles,
        expires_at=invite.expires_at,
        token=str(token),
    )


async def accept_invite(
    session: AsyncSession, *, tenant: TenantRecord, token: OpaqueToken, body: InviteAccept
) -> User:
    """Create the invited user; the invite cannot be used twice."""
    invite = await InviteRepository(session).get_by_id(token.id, for_update=True)
    if invite is None or not secret_matches(token, invite.secret_hash):
        raise Unauthorized("The invite is not valid.")
    if invite.accepted_at or invite.revoked_at or invite.expires_at <= datetime.now(UTC):
        raise Unauthorized("The invite was used, revoked or has expired.")
    if invite.cpf and invite.cpf != body.cpf:
        raise Unauthorized("The invite was issued to another CPF.")
    user = await create_user(
        session,
        tenant=tenant,
        full_name=body.full_name,
        cpf=body.cpf,
        email=invite.email,
        whatsapp=body.whatsapp,
        password=body.password,
        roles=invite.roles,
    )
    invite.accepted_at = datetime.now(UTC)
    record_identity_event(
        session,
        tenant=tenant.slug,
        event=InviteAccepted(invite_id=invite.id, user_id=user.id, email=user.email),
    )
    await session.flush()
    return user


async def ensure_first_admin(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    admin: FirstAdmin,
    ttl_days: int,
    cutoffs: TokenCutoffs,
    sealer: Sealer,
) -> FirstAdminResult:
    """Make sure the tenant can be administered; the operator calls this on every
    reconcile, so repeating it is harmless.

    - No user with the first admin's CPF yet: create them with the given password, or
      invite them (the invitee picks a password) when none is given; an expired invite
      is replaced by a new one.
    - The user exists and the tenant has an active admin: nothing to do.
    - The user exists and the tenant has no active admin: restore them, active and
      admin again, keeping their password (see ``restore_first_admin``).
    """
    users = UserRepository(session)
    await users.lock_admins()
    existing = await users.by_cpf(admin.cpf)
    if existing is not None:
        if await users.count_active_admins() > 0:
            return FirstAdminResult(user_id=str(existing.id), created=False)
        await restore_first_admin(session, tenant=tenant, user=existing, cutoffs=cutoffs)
        return FirstAdminResult(user_id=str(existing.id), created=False, restored=True)
    if admin.password:
        user = await create_user(
            session,
            tenant=tenant,
            full_name=admin.full_name,
            cpf=admin.cpf,
            email=str(admin.email),
            whatsapp=admin.whatsapp,
            password=admin.password,
            roles=[ADMIN],
        )
        return FirstAdminResult(user_id=str(user.id), created=True)
    if await InviteRepository(session).pending_for_cpf(admin.cpf) is not None:
        return FirstAdminResult(user_id=None, created=False)
    issued = await issue_invite(
        session,
        tenant=tenant,
        body=InviteCreate(email=admin.email, full_name=admin.full_name, roles=[ADMIN]),
        invited_by=None,
        ttl_days=ttl_days,
        sealer=sealer,
        cpf=admin.cpf,
    )
    return FirstAdminResult(user_id=None, created=True, invite_token=issued.token)


async def restore_first_admin(
    session: AsyncSession, *, tenant: TenantRecord, user: User, cutoffs: TokenCutoffs
) -> None:
    """Reactivate the first admin and give them the admin role again.

    Reactivating (rather than inviting anew) keeps the person's user id, the records
    other modules hold against it, and the password they already know; an invite to
    the same CPF and e-mail would clash with their own row. The plan's user limit does
    not apply: without an admin nobody could free a seat. Their earlier sessions and
    tokens end, as with any change of roles.
    """
    locked = await UserRepository(session).get_by_id(user.id, for_update=True)
    assert locked is not None
    locked.active = True
    locked.roles = sorted({*locked.roles, ADMIN})
    await revoke_access(session, tenant=tenant, user=locked, cutoffs=cutoffs)
    await session.flush()
