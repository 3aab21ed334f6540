"""Access-token verification against identity's public keys (JWKS)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
import jwt
from cachetools import LRUCache

from mosaico_shared.auth.principal import Principal
from mosaico_shared.problems import BadGateway, DependencyUnavailable, Unauthorized

#: Asymmetric algorithms only: a token signed with a shared secret or with none is refused.
ALLOWED_ALGORITHMS = ("EdDSA", "RS256")
REQUIRED_CLAIMS = ("sub", "tenant", "exp", "iat", "iss", "aud", "jti")


class KeySource(Protocol):
    """Where public verification keys come from, by key id."""

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The public key with id ``kid``, or None when there is none."""
        ...


class JwksKeySource:
    """Public keys fetched from a JWKS URL, cached for ``ttl`` seconds and refreshed
    early when a token names an unknown ``kid`` (that is how key rotation shows up).
    Refreshes for unknown kids are rate-limited so random kids cannot flood identity."""

    def __init__(
        self,
        url: str,
        client: httpx.AsyncClient,
        *,
        ttl: float = 300.0,
        min_refresh_interval: float = 5.0,
    ) -> None:
        self.url = url
        self.client = client
        self.ttl = ttl
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid``, fetching the JWKS when stale or when ``kid`` is unknown."""
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self.ttl:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = age >= self.ttl
            may_refresh = kid not in self._keys and age >= self.min_refresh_interval
            if stale or may_refresh:
                await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        try:
            response = await self.client.get(self.url, timeout=5.0)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            if self._keys:
                return  # keep serving with the keys we have; identity may be restarting
            raise DependencyUnavailable("Signing keys cannot be fetched from identity.") from exc
        try:
            document = response.json()
            if not isinstance(document, dict):
                raise ValueError("a JWKS is a JSON object")
            key_set = jwt.PyJWKSet.from_dict(document)
        except (jwt.PyJWKSetError, ValueError) as exc:
            if self._keys:
                return
            raise BadGateway("identity answered with signing keys that cannot be read.") from exc
        self._keys = {k.key_id: k for k in key_set.keys if k.key_id}
        self._fetched_at = time.monotonic()


class TokenVerifier:
    """Checks signature, algorithm, issuer, audience, expiry and required claims.

    Clients send the same token on every request until it expires; a token already
    verified (the exact string, signature included) is answered from a bounded cache
    until its ``exp``, which saves the signature check and the claim parsing.
    """

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5.0,
        cache_size: int = 10_000,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self._verified: LRUCache[str, Principal] = LRUCache(maxsize=cache_size)

    async def verify(self, token: str) -> Principal:
        """The principal a valid access token speaks for; ``Unauthorized`` otherwise."""
        known = self._verified.get(token)
        if known is not None and known.expires_at.timestamp() + self.leeway > time.time():
            return known
        principal = await self._verify_signed(token)
        self._verified[token] = principal
        return principal

    async def _verify_signed(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is malformed.") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS:
            raise Unauthorized(f"Tokens signed with {alg!r} are not accepted.")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("The access token names no signing key.")
        key = await self.keys.key_for(kid)
        if key is None:
            raise Unauthorized("The access token is signed with an unknown key.")
        if key.algorithm_name != alg:
            raise Unauthorized("The token's algorithm does not match its key.")
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"The access token is invalid: {exc}.") from exc
        if claims.get("typ") != "access":
            raise Unauthorized("This is not an access token.")
        return principal_from_claims(claims)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Build a ``Principal`` from verified claims."""
    return Principal(
        user_id=str(claims["sub"]),
        tenant=str(claims["tenant"]),
        roles=frozenset(claims.get("roles", ())),
        modules=frozenset(claims.get("modules", ())),
        plan=claims.get("plan"),
        token_id=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=UTC),
        issued_at=int(claims["iat"]),
    )
