"""Token signing keys: generated, rotated and published as JWKS.

Rotation adds a key and retires the previous one; a retired key stays in the JWKS
until every access token it signed has expired, so rotating logs nobody out.

With a passphrase (``MOSAICO_SIGNING_KEY_PASSPHRASE``, from a Kubernetes Secret) the
private keys are stored as encrypted PKCS#8, so a copy of ``identity_platform`` (a
backup, a dump) is not enough to mint tokens for every tenant.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from jwt.algorithms import OKPAlgorithm, RSAAlgorithm
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mosaico_identity.keys.repository import SigningKeyRepository
from mosaico_identity.models.platform import SigningKeyRow

RELOAD_EVERY_SECONDS = 30.0
UNKNOWN_KID_RELOAD_SECONDS = 1.0


PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey


class SigningKeyLocked(RuntimeError):
    """A stored private key cannot be opened: encrypted, and the passphrase is missing
    or not the one it was stored with."""


def _to_pem(private: PrivateKey, passphrase: bytes | None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    return pem.decode()


def _is_encrypted(pem: str) -> bool:
    return pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")


def open_private_key(row: SigningKeyRow, passphrase: bytes | None) -> PrivateKey:
    """The private key a stored row holds, opened with the passphrase if encrypted."""
    encrypted = _is_encrypted(row.private_pem)
    if encrypted and passphrase is None:
        raise SigningKeyLocked(
            f"signing key {row.kid} is stored encrypted: set MOSAICO_SIGNING_KEY_PASSPHRASE"
        )
    try:
        key = serialization.load_pem_private_key(
            row.private_pem.encode(), passphrase if encrypted else None
        )
    except ValueError:
        raise SigningKeyLocked(
            f"signing key {row.kid} does not open with MOSAICO_SIGNING_KEY_PASSPHRASE"
            " (it was stored with another one)"
        ) from None
    assert isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey)
    return key


def _new_key(algorithm: str, passphrase: bytes | None) -> SigningKeyRow:
    kid = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    public_jwk: dict[str, Any]
    private: PrivateKey
    if algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
        public_jwk = OKPAlgorithm.to_jwk(private.public_key(), as_dict=True)
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public_jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    public_jwk.update({"kid": kid, "alg": algorithm, "use": "sig"})
    return SigningKeyRow(
        kid=kid,
        algorithm=algorithm,
        private_pem=_to_pem(private, passphrase),
        public_jwk=public_jwk,
    )


class SigningKeys:
    """The platform's signing keys, cached in memory and reloaded from the database
    periodically (another replica may have rotated) or when a token names a new kid."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        algorithm: str,
        access_ttl: int,
        passphrase: str | None = None,
    ) -> None:
        self.engine = engine
        self.algorithm = algorithm
        self._passphrase = passphrase.encode() if passphrase else None
        # A retired key is published for one access-token lifetime plus a minute of skew.
        self.publish_retired_for = timedelta(seconds=access_ttl + 60)
        #: The active key's row and private key, opened once per kid (not at every
        #: reload, nor at every signature).
        self._active: tuple[SigningKeyRow, PrivateKey] | None = None
        self._published: dict[str, jwt.PyJWK] = {}
        self._jwks: dict[str, Any] = {"keys": []}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def ensure_active_key(self) -> None:
        """At startup: create the first key if there is none, and encrypt the keys
        stored before a passphrase was set."""
        async with AsyncSession(self.engine) as session, session.begin():
            keys = SigningKeyRepository(session)
            await keys.lock()
            rows = await keys.all()
            if self._passphrase:
                for row in rows:
                    if not _is_encrypted(row.private_pem):
                        row.private_pem = _to_pem(open_private_key(row, None), self._passphrase)
            if not any(row.retired_at is None for row in rows):
                keys.add(_new_key(self.algorithm, self._passphrase))
        await self.reload()

    async def rotate(self) -> str:
        """Make a new key active and retire the current one; returns the new kid."""
        async with AsyncSession(self.engine) as session, session.begin():
            keys = SigningKeyRepository(session)
            await keys.lock()
            await keys.retire_active()
            key = _new_key(self.algorithm, self._passphrase)
            kid = key.kid
            keys.add(key)
        await self.reload()
        return kid

    async def reload(self) -> None:
        """Read the active key and every key still published."""
        cutoff = datetime.now(UTC) - self.publish_retired_for
        async with AsyncSession(self.engine) as session:
            rows = await SigningKeyRepository(session).published(retired_after=cutoff)
        active = next((r for r in rows if r.retired_at is None), None)
        if active is None:
            self._active = None
        elif self._active is None or self._active[0].kid != active.kid:
            self._active = (active, open_private_key(active, self._passphrase))
        self._published = {r.kid: jwt.PyJWK(r.public_jwk) for r in rows}
        self._jwks = {"keys": [r.public_jwk for r in rows]}
        self._loaded_at = time.monotonic()

    async def _fresh(self, *, unknown_kid: bool = False) -> None:
        age = time.monotonic() - self._loaded_at
        if age < RELOAD_EVERY_SECONDS and not (unknown_kid and age > UNKNOWN_KID_RELOAD_SECONDS):
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at >= min(age, UNKNOWN_KID_RELOAD_SECONDS):
                await self.reload()

    async def key_for(self, kid: str) -> jwt.PyJWK | None:
        """A published public key by id (the token verifier's key source)."""
        await self._fresh(unknown_kid=kid not in self._published)
        return self._published.get(kid)

    async def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set identity publishes, never more than a second behind
        the database: a key another replica just rotated in signs tokens at once, and a
        verifier that fetches the set because it met the new kid must find it here,
        whichever replica answers. At most one read a second, however often it is asked."""
        await self._fresh(unknown_kid=True)
        return self._jwks

    async def sign(self, claims: dict[str, Any]) -> str:
        """Sign ``claims`` with the active key, naming it in the ``kid`` header."""
        await self._fresh()
        if self._active is None:
            await self.ensure_active_key()
        assert self._active is not None
        row, key = self._active
        return jwt.encode(claims, key, algorithm=row.algorithm, headers={"kid": row.kid})
