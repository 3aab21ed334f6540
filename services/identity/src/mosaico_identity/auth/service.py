"""Login, refresh and logout.

Failed logins are throttled per login (in each tenant) and per client address (across
tenants), with delays that grow instead of a lock anyone could trigger: a few free
attempts, then a wait that doubles with every further failure, up to a cap. Every
attempt is counted, in one SQL statement, before its password is checked, so parallel
guesses cannot slip past the count. Known and unknown logins are counted, answered and
worked on alike (argon2 runs on a dummy hash when nobody has the login).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any

from mosaico_shared.brazil import digits_only, is_valid_cpf
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import TenantSuspended, TooManyRequests, Unauthorized
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.auth.repository import RefreshTokenRepository, ThrottleRepository
from mosaico_identity.auth.schemas import TokenPair
from mosaico_identity.auth.tokens import RefreshReused, consume_refresh_token, issue_token_pair
from mosaico_identity.keys.service import SigningKeys
from mosaico_identity.models.platform import AddressThrottle
from mosaico_identity.models.tenant import LoginThrottle, User
from mosaico_identity.opaque_tokens import OpaqueToken, secret_matches
from mosaico_identity.passwords import verify_password
from mosaico_identity.settings import IdentitySettings
from mosaico_identity.users.repository import UserRepository

INVALID_CREDENTIALS = "Invalid tenant, login or password."
THROTTLED = "Too many failed logins; try again later."


def check_tenant_open(tenant: TenantRecord | None) -> TenantRecord:
    """The tenant exists and is not suspended."""
    if tenant is None:
        # Same answer as a wrong password: a login form does not tell which tenants exist.
        raise Unauthorized(INVALID_CREDENTIALS)
    if tenant.suspended:
        raise TenantSuspended(f"Tenant {tenant.slug!r} is suspended.")
    return tenant


def normalized_login(login: str) -> str:
    """A CPF as its digits, anything else (an e-mail) stripped and in lower case."""
    login = login.strip()
    if "@" not in login and is_valid_cpf(login):
        return digits_only(login)
    return login.lower()


async def find_user_by_login(users: UserRepository, login: str) -> User | None:
    """A user by CPF (with or without punctuation) or by e-mail."""
    key = normalized_login(login)
    return await (users.by_email(key) if "@" in key else users.by_cpf(key))


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many failures a key gets for free and how its delays grow."""

    free: int
    base: float
    cap: float
    forget: float

    @classmethod
    def for_logins(cls, settings: IdentitySettings) -> ThrottlePolicy:
        return cls._with(settings, settings.login_throttle_free_failures)

    @classmethod
    def for_addresses(cls, settings: IdentitySettings) -> ThrottlePolicy:
        return cls._with(settings, settings.address_throttle_free_failures)

    @classmethod
    def for_password_resets(cls, settings: IdentitySettings) -> ThrottlePolicy:
        return cls._with(settings, settings.password_reset_free_requests)

    @classmethod
    def _with(cls, settings: IdentitySettings, free: int) -> ThrottlePolicy:
        return cls(
            free=free,
            base=settings.login_throttle_base_delay_seconds,
            cap=settings.login_throttle_max_delay_seconds,
            forget=settings.login_throttle_forget_seconds,
        )


async def count_attempt(
    throttle: ThrottleRepository[Any],
    key: str,
    policy: ThrottlePolicy,
) -> None:
    """Count a login attempt for ``key``, or refuse it (429 with ``Retry-After``) while
    the key must wait; nothing else is looked at, so the answer is the same for a
    login that exists and one that does not."""
    free, base, cap = policy.free, policy.base, policy.cap
    failures = await throttle.count_attempt(
        key, free=free, base=base, cap=cap, forget=policy.forget
    )
    if failures is None:
        wait = await throttle.seconds_to_wait(key, free=free, base=base, cap=cap)
        raise TooManyRequests(THROTTLED, headers={"Retry-After": str(max(1, math.ceil(wait)))})
    if failures == 1:  # a new key (or one that started over): drop the stale ones
        await throttle.prune(forget=policy.forget)


async def count_address_attempt(
    session: AsyncSession, *, address: str, settings: IdentitySettings, purpose: str = "login"
) -> None:
    """Count an attempt from ``address`` (on ``identity_platform``), or refuse it; logins
    and password resets (``purpose="reset"``) are counted apart."""
    throttle = ThrottleRepository(session, AddressThrottle)
    key = address if purpose == "login" else f"{purpose}:{address}"
    await count_attempt(throttle, key, ThrottlePolicy.for_addresses(settings))


async def uncount_address_attempt(session: AsyncSession, *, address: str) -> None:
    """A login from ``address`` succeeded: its attempt was not a failure."""
    await ThrottleRepository(session, AddressThrottle).uncount(address)


@dataclass(frozen=True, slots=True)
class LoginAttempt:
    """A counted attempt: whose password to check (None: nobody has the login)."""

    key: str
    user_id: uuid.UUID | None
    password_hash: str | None


async def begin_login(
    session: AsyncSession, *, login: str, settings: IdentitySettings
) -> LoginAttempt:
    """Count the attempt for the login (whether or not a user has it) and find whose
    password to check. The caller commits this before checking the password."""
    key = normalized_login(login)
    user = await find_user_by_login(UserRepository(session), login)
    throttle = ThrottleRepository(session, LoginThrottle)
    await count_attempt(throttle, key, ThrottlePolicy.for_logins(settings))
    await session.flush()
    return LoginAttempt(
        key=key,
        user_id=user.id if user else None,
        password_hash=user.password_hash if user else None,
    )


async def check_password(attempt: LoginAttempt | None, password: str) -> None:
    """``Unauthorized`` unless the password is the user's; argon2 runs on a dummy hash
    when there is no user (or no tenant: ``attempt`` None), so a miss costs a hit's work."""
    password_hash = attempt.password_hash if attempt else None
    if not await verify_password(password_hash, password) or attempt is None:
        raise Unauthorized(INVALID_CREDENTIALS)


async def finish_login(
    session: AsyncSession,
    *,
    attempt: LoginAttempt,
    tenant: TenantRecord,
    keys: SigningKeys,
    settings: IdentitySettings,
) -> TokenPair:
    """Issue the token pair for a checked password, and clear the login's failures."""
    assert attempt.user_id is not None
    # Read again under a row lock: a change of roles or a deactivation that commits
    # meanwhile is either seen here or waits until this token is signed, and then its
    # cutoff refuses the token.
    user = await UserRepository(session).get_by_id(attempt.user_id, for_update=True)
    if user is None or not user.active:
        raise Unauthorized(INVALID_CREDENTIALS)
    await ThrottleRepository(session, LoginThrottle).clear(attempt.key)
    return await issue_token_pair(
        RefreshTokenRepository(session), keys=keys, settings=settings, user=user, tenant=tenant
    )


async def refresh(
    session: AsyncSession,
    *,
    token: OpaqueToken,
    tenant: TenantRecord,
    keys: SigningKeys,
    settings: IdentitySettings,
) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new one of the same family issued."""
    tokens = RefreshTokenRepository(session)
    seen = await tokens.get_by_id(token.id)
    if seen is None or not secret_matches(token, seen.secret_hash):
        raise Unauthorized("The refresh token is not valid.")
    # The user's row first, then the token's: the order a change of access takes
    # them in, so a refresh racing a deactivation never deadlocks with it nor
    # issues a token the deactivation's revocation would miss.
    user = await UserRepository(session).get_by_id(seen.user_id, for_update=True)
    row = await consume_refresh_token(tokens, token)
    if user is None or not user.active:
        await tokens.revoke_family(row.family_id)
        raise Unauthorized("The user is no longer active.")
    return await issue_token_pair(
        tokens, keys=keys, settings=settings, user=user, tenant=tenant, family_id=row.family_id
    )


async def logout(session: AsyncSession, *, token: OpaqueToken) -> None:
    """Revoke the session the refresh token belongs to (its whole family)."""
    tokens = RefreshTokenRepository(session)
    row = await tokens.get_by_id(token.id)
    if row is None or not secret_matches(token, row.secret_hash):
        raise Unauthorized("The refresh token is not valid.")
    await tokens.revoke_family(row.family_id)


__all__ = [
    "RefreshReused",
    "begin_login",
    "check_password",
    "check_tenant_open",
    "count_address_attempt",
    "finish_login",
    "logout",
    "refresh",
    "uncount_address_attempt",
]
