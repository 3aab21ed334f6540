"""Opaque tokens (refresh tokens, invites): ``<tenant>.<id>.<secret>``.

The tenant tells which database holds the row, the id finds it, and only a SHA-256 of
the secret is stored, so a database dump cannot be replayed as tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from mosaico_shared.problems import Unauthorized
from mosaico_shared.tenancy.names import is_tenant_slug


@dataclass(frozen=True)
class OpaqueToken:
    tenant: str
    id: uuid.UUID
    secret: str

    def __str__(self) -> str:
        return f"{self.tenant}.{self.id.hex}.{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hash_secret(self.secret)


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a token secret (secrets are random, so no salt is needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token(tenant: str) -> OpaqueToken:
    """A fresh token for ``tenant`` with 256 bits of secret."""
    return OpaqueToken(tenant=tenant, id=uuid.uuid4(), secret=secrets.token_urlsafe(32))


def parse_token(value: str, *, what: str = "token") -> OpaqueToken:
    """Split a token; any malformed value is an ``Unauthorized`` problem."""
    parts = value.split(".")
    if len(parts) != 3 or not is_tenant_slug(parts[0]):
        raise Unauthorized(f"The {what} is malformed.")
    try:
        token_id = uuid.UUID(hex=parts[1])
    except ValueError as exc:
        raise Unauthorized(f"The {what} is malformed.") from exc
    return OpaqueToken(tenant=parts[0], id=token_id, secret=parts[2])


def secret_matches(token: OpaqueToken, stored_hash: str) -> bool:
    """Constant-time comparison of the token's secret with the stored hash."""
    return hmac.compare_digest(token.secret_hash, stored_hash)
