"""Issuing access tokens and rotating refresh tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import Unauthorized

from mosaico_identity.auth.repository import RefreshTokenRepository
from mosaico_identity.auth.schemas import TokenPair
from mosaico_identity.keys.service import SigningKeys
from mosaico_identity.models.tenant import RefreshToken, User
from mosaico_identity.opaque_tokens import OpaqueToken, new_token, secret_matches
from mosaico_identity.settings import IdentitySettings


async def issue_access_token(
    *, keys: SigningKeys, settings: IdentitySettings, user: User, tenant: TenantRecord
) -> str:
    """A short-lived access token for ``user`` of ``tenant``.

    Its ``iat`` is never before the user's ``tokens_not_before``: a token issued right
    after a change of access (in the same second as the cutoff) is not refused by it.
    """
    now = datetime.now(UTC)
    issued_at = max(int(now.timestamp()), user.tokens_not_before or 0)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user.id),
        "tenant": tenant.slug,
        "roles": sorted(user.roles),
        "modules": tenant.modules,
        "plan": tenant.plan,
        "iat": issued_at,
        "exp": int((now + timedelta(seconds=settings.access_token_ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return await keys.sign(claims)


async def issue_token_pair(
    tokens: RefreshTokenRepository,
    *,
    keys: SigningKeys,
    settings: IdentitySettings,
    user: User,
    tenant: TenantRecord,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    """An access token plus a refresh token (a new family at login, the same on refresh)."""
    refresh = new_token(tenant.slug)
    tokens.add(
        RefreshToken(
            id=refresh.id,
            family_id=family_id or refresh.id,
            user_id=user.id,
            secret_hash=refresh.secret_hash,
            expires_at=datetime.now(UTC) + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    await tokens.session.flush()
    access = await issue_access_token(keys=keys, settings=settings, user=user, tenant=tenant)
    return TokenPair(
        access_token=access,
        expires_in=settings.access_token_ttl_seconds,
        refresh_token=str(refresh),
    )


class RefreshReused(Unauthorized):
    """A refresh token came back after it was rotated: the family is revoked."""


async def consume_refresh_token(tokens: RefreshTokenRepository, token: OpaqueToken) -> RefreshToken:
    """Mark the token used and return it; a reused token revokes its whole family.

    The row is locked so two concurrent refreshes with one token cannot both win.
    """
    row = await tokens.get_by_id(token.id, for_update=True)
    if row is None or not secret_matches(token, row.secret_hash):
        raise Unauthorized("The refresh token is not valid.")
    if row.revoked_at is not None:
        raise Unauthorized("The refresh token was revoked.")
    if row.used_at is not None:
        await tokens.revoke_family(row.family_id)
        raise RefreshReused("The refresh token was already used; every session of it is revoked.")
    if row.expires_at <= datetime.now(UTC):
        raise Unauthorized("The refresh token has expired.")
    row.used_at = datetime.now(UTC)
    return row
