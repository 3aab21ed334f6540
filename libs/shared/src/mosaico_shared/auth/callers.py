"""Internal callers of ``/<module>/internal/...``: who is calling, and whether it may.

Every caller has its own identity. In a cluster it is the caller's ServiceAccount: the
caller sends a projected ServiceAccount token whose audience names the receiving module
(``internal_audience``), and the receiver asks the API server (TokenReview) whether the
token is valid, for that audience, and whose it is. Locally (``make up``, tests) each
caller holds a generated token and the receiver keeps only its SHA-256 digest.

A route names who may call it with ``RequireCaller("operator")``; a verified caller that
is not named there gets 403, an unverified one 401.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import jwt
from cachetools import TTLCache
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mosaico_shared.contracts.tenants import MODULES
from mosaico_shared.credentials import TokenFileAuth
from mosaico_shared.problems import DependencyUnavailable, Forbidden, Unauthorized

logger = logging.getLogger("mosaico.callers")

#: The operator's caller name; module services are called by their module's name.
OPERATOR = "operator"
#: Every module service, as a caller.
SERVICES: tuple[str, ...] = MODULES
#: Every name a caller may have.
CALLER_NAMES: frozenset[str] = frozenset({OPERATOR, *MODULES})

#: The OpenAPI security scheme of internal calls (user requests use ``AccessToken``).
INTERNAL_SCHEME = "InternalCallerToken"

_internal_bearer = HTTPBearer(
    auto_error=False,
    scheme_name=INTERNAL_SCHEME,
    description=(
        "The calling workload's own token: in a cluster a projected ServiceAccount token "
        "whose audience is this module's internal audience; locally a generated token."
    ),
)


def internal_audience(module: str) -> str:
    """The audience a caller's token must carry to reach ``module``'s internal API, so a
    token sent to one module cannot be replayed against another."""
    return f"mosaico-internal-{module}"


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified internal caller: its name (``operator``, ``crm``...) and the identity
    it proved (``system:serviceaccount:<ns>:<sa>`` in a cluster, ``local:<name>`` here)."""

    name: str
    identity: str


class CallerVerifier(Protocol):
    """Turns a bearer token into the caller it belongs to, or refuses it."""

    async def verify(self, token: str) -> Caller:
        """The caller behind ``token``; ``Unauthorized`` when it proves nobody we know."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def token_digest(token: str) -> str:
    """The SHA-256 (hex) a receiver keeps instead of a caller's local token. The tokens
    are long random strings, so a fast hash is enough: there is nothing to guess."""
    return hashlib.sha256(token.encode()).hexdigest()


class DigestCallers:
    """Local callers: ``digests`` maps each caller's name to the digest of its token."""

    def __init__(self, digests: Mapping[str, str]) -> None:
        self._digests = {name: bytes.fromhex(digest) for name, digest in digests.items()}

    async def verify(self, token: str) -> Caller:
        """The caller whose token digest matches; every digest is compared."""
        given = hashlib.sha256(token.encode()).digest()
        found = None
        for name, expected in self._digests.items():
            if hmac.compare_digest(given, expected):
                found = name
        if found is None:
            raise Unauthorized("The internal credential is not one of this module's callers.")
        return Caller(found, f"local:{found}")

    async def aclose(self) -> None:
        return None


class TokenReviewCallers:
    """Cluster callers: the API server reviews each token (signature, expiry, audience,
    and that its ServiceAccount, and the pod it was issued to, still exist).

    ``callers`` maps ServiceAccount user names (``system:serviceaccount:mosaico:crm``) to
    caller names. A token reviewed as valid is trusted for ``cache_seconds`` (never past
    its own expiry), so a deleted ServiceAccount is refused within that delay. This pod
    authenticates its reviews with its own token file (``credential``).
    """

    REVIEW_PATH = "/apis/authentication.k8s.io/v1/tokenreviews"

    def __init__(
        self,
        *,
        api_url: str,
        audience: str,
        callers: Mapping[str, str],
        credential: httpx.Auth,
        ca_file: Path | None = None,
        cache_seconds: float = 10.0,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.audience = audience
        self.callers = dict(callers)
        self.cache_seconds = cache_seconds
        # Without the CA file (not in a pod) reviews fail, as 503s, instead of the app.
        exists = ca_file is not None and ca_file.exists()
        verify: Any = ssl.create_default_context(cafile=ca_file) if exists else True
        self.http = httpx.AsyncClient(
            base_url=api_url, auth=credential, verify=verify, timeout=timeout, transport=transport
        )
        self._reviewed: TTLCache[str, tuple[Caller, float]] = TTLCache(
            maxsize=1024, ttl=max(cache_seconds, 0.001)
        )

    async def verify(self, token: str) -> Caller:
        """The caller behind a projected ServiceAccount token."""
        key = token_digest(token)
        cached = self._reviewed.get(key)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        expires = _unverified_expiry(token)
        user = await self._review(token)
        name = self.callers.get(user)
        if name is None:
            raise Forbidden(f"{user} is not a caller of this module's internal API.")
        caller = Caller(name, user)
        if self.cache_seconds > 0:
            self._reviewed[key] = (caller, min(time.time() + self.cache_seconds, expires))
        return caller

    async def _review(self, token: str) -> str:
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token, "audiences": [self.audience]},
        }
        try:
            response = await self.http.post(self.REVIEW_PATH, json=body)
        except (httpx.HTTPError, OSError) as exc:
            raise DependencyUnavailable("The Kubernetes API cannot review the caller.") from exc
        if response.status_code != 201 and response.status_code != 200:
            # Our own credential or RBAC is wrong (401/403), or the API server is down.
            logger.error("TokenReview answered %s", response.status_code)
            raise DependencyUnavailable("The Kubernetes API refused to review the caller.")
        status = response.json().get("status", {})
        if not status.get("authenticated"):
            raise Unauthorized("The internal credential is not valid for this module.")
        if self.audience not in status.get("audiences", ()):
            raise Unauthorized("The internal credential is meant for another audience.")
        user = status.get("user", {}).get("username")
        if not isinstance(user, str) or not user:
            raise Unauthorized("The internal credential names no user.")
        return user

    async def aclose(self) -> None:
        await self.http.aclose()


def _unverified_expiry(token: str) -> float:
    """The token's ``exp`` (to bound caching), read before the review; the review is
    what proves it. A token that is no JWT at all is refused without asking."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise Unauthorized("The internal credential is malformed.") from exc
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else time.time()


def caller_verifier(settings: Any) -> CallerVerifier:
    """The verifier ``settings`` asks for (``internal_auth``): see ``ServiceSettings``."""
    if settings.internal_auth == "digests":
        return DigestCallers(settings.internal_caller_digests)
    return TokenReviewCallers(
        api_url=settings.kubernetes_api_url,
        audience=internal_audience(settings.module),
        callers=settings.internal_callers,
        credential=TokenFileAuth(settings.kubernetes_token_file),
        ca_file=settings.kubernetes_ca_file,
        cache_seconds=settings.internal_caller_cache_seconds,
    )


class RequireCaller:
    """Dependency: the request comes from one of the named internal callers.

    ``RequireCaller(OPERATOR)`` for what only the operator does, ``RequireCaller(*SERVICES)``
    for what module services read. Returns the ``Caller``.
    """

    def __init__(self, *names: str) -> None:
        unknown = set(names) - CALLER_NAMES
        if not names or unknown:
            raise ValueError(f"callers must be among {sorted(CALLER_NAMES)}: {sorted(unknown)}")
        self.names = frozenset(names)

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_internal_bearer)],
    ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise Unauthorized("Internal endpoints need the caller's own token.")
        verifier: CallerVerifier = request.app.state.caller_verifier
        caller = await verifier.verify(credentials.credentials)
        if caller.name not in self.names:
            raise Forbidden(f"The caller {caller.name!r} may not use this internal endpoint.")
        return caller
