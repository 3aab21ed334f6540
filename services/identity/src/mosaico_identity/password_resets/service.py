"""Forgotten passwords: a reset link by e-mail, then a new password with it.

A request is counted (per login in the tenant, per client address across tenants) and
answered alike whether or not anyone has the login, so it tells nobody which logins
exist; for an active user it issues a one-time token, kept only as a hash, and the
``PasswordResetRequested`` event carries it sealed to notifications, which sends the
e-mail. The token works once, until it expires, and only while it is the user's latest
request. Setting the new password ends every session of the user.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mosaico_shared.contracts.identity import PasswordResetRequested
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.events.sealing import Sealer
from mosaico_shared.problems import Unauthorized
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.auth.repository import ThrottleRepository
from mosaico_identity.auth.service import (
    ThrottlePolicy,
    count_attempt,
    find_user_by_login,
    normalized_login,
)
from mosaico_identity.events import record_identity_event
from mosaico_identity.models.tenant import LoginThrottle, PasswordReset, PasswordResetThrottle
from mosaico_identity.opaque_tokens import OpaqueToken, new_token, secret_matches
from mosaico_identity.password_resets.repository import PasswordResetRepository
from mosaico_identity.registry.service import TokenCutoffs
from mosaico_identity.settings import IdentitySettings
from mosaico_identity.users.repository import UserRepository
from mosaico_identity.users.service import set_password

INVALID_LINK = "The password reset link is not valid."
SPENT_LINK = "The password reset link was used, replaced by a newer one, or has expired."


async def request_password_reset(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    login: str,
    settings: IdentitySettings,
    sealer: Sealer,
) -> None:
    """Count the request for the login (``TooManyRequests`` while it must wait), and,
    when an active user has the login, issue a reset token in place of any earlier one
    and write ``PasswordResetRequested`` with it sealed."""
    throttle = ThrottleRepository(session, PasswordResetThrottle)
    await count_attempt(
        throttle, normalized_login(login), ThrottlePolicy.for_password_resets(settings)
    )
    user = await find_user_by_login(UserRepository(session), login)
    if user is None or not user.active:
        return
    resets = PasswordResetRepository(session)
    await resets.revoke_pending(user.id)
    token = new_token(tenant.slug)
    reset = PasswordReset(
        id=token.id,
        user_id=user.id,
        secret_hash=token.secret_hash,
        expires_at=datetime.now(UTC) + timedelta(minutes=settings.password_reset_ttl_minutes),
    )
    resets.add(reset)
    await session.flush()
    record_identity_event(
        session,
        tenant=tenant.slug,
        event=PasswordResetRequested(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            expires_at=reset.expires_at,
            sealed_token=sealer.seal(str(token)),
        ),
    )


async def reset_password(
    session: AsyncSession,
    *,
    tenant: TenantRecord,
    token: OpaqueToken,
    new_password: str,
    cutoffs: TokenCutoffs,
) -> None:
    """Set the new password with a reset token (once): every session of the user ends,
    and the failed logins counted against their CPF and e-mail are forgotten."""
    resets = PasswordResetRepository(session)
    reset = await resets.get_by_id(token.id, for_update=True)
    if reset is None or not secret_matches(token, reset.secret_hash):
        raise Unauthorized(INVALID_LINK)
    if reset.used_at or reset.revoked_at or reset.expires_at <= datetime.now(UTC):
        raise Unauthorized(SPENT_LINK)
    user = await UserRepository(session).get_by_id(reset.user_id, for_update=True)
    if user is None or not user.active:
        raise Unauthorized(INVALID_LINK)
    reset.used_at = datetime.now(UTC)
    await resets.revoke_pending(user.id)
    await set_password(session, tenant=tenant, user=user, password=new_password, cutoffs=cutoffs)
    logins = ThrottleRepository(session, LoginThrottle)
    for key in (user.cpf, user.email):
        await logins.clear(key)
