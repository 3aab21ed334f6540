"""Invites: a one-time token that lets someone join the tenant with given roles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from mosaico_shared.contracts.tenants import FirstAdmin, FirstAdminResult, TenantRecord
from mosaico_shared.problems import Unauthorized
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.invites.schemas import InviteAccept, InviteCreate, InviteIssued
from mosaico_identity.models.tenant import Invite, User
from mosaico_identity.opaque_tokens import OpaqueToken, new_token, secret_matches
from mosaico_identity.users.service import create_user, ensure_unique, ensure_user_capacity


async def invite_user(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    body: InviteCreate,
    invited_by: uuid.UUID | None,
    ttl_days: int,
    cpf: str | None = None,
) -> InviteIssued:
    """Issue an invite; the token is returned once and only its hash is kept."""
    await ensure_user_capacity(session, tenant)
    await ensure_unique(session, cpf=cpf or "", email=str(body.email))
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
    session.add(invite)
    await session.flush()
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
    invite = await session.scalar(select(Invite).where(Invite.id == token.id).with_for_update())
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
    return user


async def ensure_first_admin(
    session: AsyncSession, *, tenant: TenantRecord, admin: FirstAdmin, ttl_days: int
) -> FirstAdminResult:
    """Create the tenant's first admin once: with the given password, or as an invite
    (the invitee picks a password) when none is given. Repeating the call is harmless."""
    existing = await session.scalar(select(User).where(User.cpf == admin.cpf))
    if existing is not None:
        return FirstAdminResult(user_id=str(existing.id), created=False)
    if admin.password:
        user = await create_user(
            session,
            tenant=tenant,
            full_name=admin.full_name,
            cpf=admin.cpf,
            email=str(admin.email),
            whatsapp=admin.whatsapp,
            password=admin.password,
            roles=["admin"],
        )
        return FirstAdminResult(user_id=str(user.id), created=True)
    pending = await session.scalar(
        select(Invite).where(
            Invite.cpf == admin.cpf, Invite.accepted_at.is_(None), Invite.revoked_at.is_(None)
        )
    )
    if pending is not None:
        return FirstAdminResult(user_id=None, created=False)
    issued = await invite_user(
        session,
        tenant=tenant,
        body=InviteCreate(email=admin.email, full_name=admin.full_name, roles=["admin"]),
        invited_by=None,
        ttl_days=ttl_days,
        cpf=admin.cpf,
    )
    return FirstAdminResult(user_id=None, created=True, invite_token=issued.token)
