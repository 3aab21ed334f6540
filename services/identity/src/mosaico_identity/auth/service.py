"""Login, refresh and logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mosaico_shared.brazil import digits_only, is_valid_cpf
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import TenantSuspended, TooManyRequests, Unauthorized
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.auth.schemas import LoginRequest, TokenPair
from mosaico_identity.auth.tokens import (
    RefreshReused,
    consume_refresh_token,
    issue_token_pair,
    revoke_family,
)
from mosaico_identity.keys.service import SigningKeys
from mosaico_identity.models.tenant import User
from mosaico_identity.opaque_tokens import OpaqueToken, secret_matches
from mosaico_identity.passwords import verify_password
from mosaico_identity.settings import IdentitySettings

INVALID_CREDENTIALS = "Invalid tenant, login or password."


def check_tenant_open(tenant: TenantRecord | None) -> TenantRecord:
    """The tenant exists and is not suspended."""
    if tenant is None:
        # Same answer as a wrong password: a login form does not tell which tenants exist.
        raise Unauthorized(INVALID_CREDENTIALS)
    if tenant.suspended:
        raise TenantSuspended(f"Tenant {tenant.slug!r} is suspended.")
    return tenant


async def find_user_by_login(session: AsyncSession, login: str) -> User | None:
    """A user by CPF (with or without punctuation) or by e-mail."""
    login = login.strip()
    if "@" not in login and is_valid_cpf(login):
        return await session.scalar(select(User).where(User.cpf == digits_only(login)))
    return await session.scalar(select(User).where(User.email == login.lower()))


async def login(
    session: AsyncSession,
    *,
    request: LoginRequest,
    tenant: TenantRecord,
    keys: SigningKeys,
    settings: IdentitySettings,
) -> TokenPair:
    """Check the password; lock the account for a while after repeated failures.

    Failed attempts are committed even though the call fails: the caller commits
    before raising ``Unauthorized`` (see the endpoint).
    """
    user = await find_user_by_login(session, request.login)
    now = datetime.now(UTC)
    if user is not None and user.locked_until is not None and user.locked_until > now:
        retry_after = int((user.locked_until - now).total_seconds()) + 1
        raise TooManyRequests(
            "Too many failed logins; try again later.",
            headers={"Retry-After": str(retry_after)},
        )
    password_ok = await verify_password(user.password_hash if user else None, request.password)
    if user is None or not password_ok or not user.active:
        if user is not None and not password_ok:
            user.failed_logins += 1
            if user.failed_logins >= settings.max_failed_logins:
                user.locked_until = now + timedelta(seconds=settings.lockout_seconds)
                user.failed_logins = 0
        raise Unauthorized(INVALID_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    return await issue_token_pair(session, keys=keys, settings=settings, user=user, tenant=tenant)


async def refresh(
    session: AsyncSession,
    *,
    token: OpaqueToken,
    tenant: TenantRecord,
    keys: SigningKeys,
    settings: IdentitySettings,
) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new one of the same family issued."""
    row = await consume_refresh_token(session, token)
    user = await session.get(User, row.user_id)
    if user is None or not user.active:
        await revoke_family(session, row.family_id)
        raise Unauthorized("The user is no longer active.")
    return await issue_token_pair(
        session, keys=keys, settings=settings, user=user, tenant=tenant, family_id=row.family_id
    )


async def logout(session: AsyncSession, *, token: OpaqueToken) -> None:
    """Revoke the session the refresh token belongs to (its whole family)."""
    from mosaico_identity.models.tenant import RefreshToken

    row = await session.get(RefreshToken, token.id)
    if row is None or not secret_matches(token, row.secret_hash):
        raise Unauthorized("The refresh token is not valid.")
    await revoke_family(session, row.family_id)


__all__ = ["RefreshReused", "check_tenant_open", "login", "logout", "refresh"]
