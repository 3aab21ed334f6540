"""Signing keys at rest: encrypted with the passphrase, refused without it, and keys
stored in the clear before a passphrase was set encrypted at the next start."""

from __future__ import annotations

import asyncio
import uuid

import jwt
import psycopg
import pytest
from fastapi.testclient import TestClient
from mosaico_devstack.postgres import LocalPostgres
from mosaico_identity.keys.service import (
    UNKNOWN_KID_RELOAD_SECONDS,
    SigningKeyLocked,
    SigningKeys,
)
from mosaico_identity.main import PLATFORM_MIGRATIONS, create_app
from mosaico_shared.migrations import upgrade_database
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.fixtures.identity import identity_settings

PASSPHRASE = "a-passphrase-from-a-kubernetes-secret"
CLAIMS = {"sub": "user-1", "tid": "acme", "aud": "mosaico"}


@pytest.fixture
def platform_url(postgres: LocalPostgres) -> str:
    """A platform database of its own, migrated, so the session's keys stay untouched."""
    name = f"keys_{uuid.uuid4().hex[:8]}"
    postgres.create_database(name)
    url = make_url(postgres.app_url).set(database=name).render_as_string(hide_password=False)
    upgrade_database(PLATFORM_MIGRATIONS, url)
    return url


def started(url: str, passphrase: str | None) -> tuple[SigningKeys, str]:
    """A SigningKeys as identity starts it, and a token it signed."""

    async def run() -> tuple[SigningKeys, str]:
        engine = create_async_engine(url)
        keys = SigningKeys(engine, algorithm="EdDSA", access_ttl=900, passphrase=passphrase)
        try:
            await keys.ensure_active_key()
            return keys, await keys.sign(CLAIMS)
        finally:
            await engine.dispose()  # its connections belong to this event loop

    return asyncio.run(run())


def verify(keys: SigningKeys, token: str) -> dict[str, object]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = asyncio.run(keys.key_for(kid))
    assert key is not None
    return jwt.decode(token, key, algorithms=["EdDSA"], audience="mosaico")


def stored_pems(postgres: LocalPostgres, url: str) -> list[str]:
    with psycopg.connect(postgres.dsn(make_url(url).database)) as conn:
        return [pem for (pem,) in conn.execute("SELECT private_pem FROM signing_keys")]


def test_private_keys_are_stored_encrypted_and_still_sign_verifiable_tokens(
    postgres: LocalPostgres, platform_url: str
) -> None:
    keys, token = started(platform_url, PASSPHRASE)

    [pem] = stored_pems(postgres, platform_url)
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert verify(keys, token)["sub"] == "user-1"


@pytest.mark.parametrize("passphrase", [None, "not-the-passphrase-it-was-stored-with"])
def test_encrypted_keys_are_refused_without_their_passphrase(
    platform_url: str, passphrase: str | None
) -> None:
    started(platform_url, PASSPHRASE)

    with pytest.raises(SigningKeyLocked, match="MOSAICO_SIGNING_KEY_PASSPHRASE") as refused:
        started(platform_url, passphrase)
    assert PASSPHRASE not in str(refused.value)


def test_keys_stored_in_the_clear_are_encrypted_at_the_next_start_and_keep_working(
    postgres: LocalPostgres, platform_url: str
) -> None:
    _, before = started(platform_url, None)
    assert stored_pems(postgres, platform_url)[0].startswith("-----BEGIN PRIVATE KEY-----")

    keys, after = started(platform_url, PASSPHRASE)

    [pem] = stored_pems(postgres, platform_url)
    assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    # Same key: tokens signed before stay valid and new ones name the same kid.
    assert jwt.get_unverified_header(after)["kid"] == jwt.get_unverified_header(before)["kid"]
    assert verify(keys, before)["sub"] == "user-1"


def test_rotation_stores_the_new_key_encrypted(postgres: LocalPostgres, platform_url: str) -> None:
    keys, _ = started(platform_url, PASSPHRASE)

    asyncio.run(keys.rotate())

    pems = stored_pems(postgres, platform_url)
    assert len(pems) == 2
    assert all(p.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----") for p in pems)


def test_identity_does_not_start_with_the_wrong_passphrase(
    postgres: LocalPostgres, identity: TestClient
) -> None:
    """The session's identity_platform holds keys encrypted with the tests' passphrase."""
    app = create_app(identity_settings(postgres, signing_key_passphrase="x" * 20))

    with pytest.raises(SigningKeyLocked), TestClient(app):
        pass


def test_a_key_another_replica_rotated_in_is_published_by_every_replica_within_a_second(
    platform_url: str,
) -> None:
    """Two identity replicas on one database: when one rotates, tokens it signs carry
    the new kid at once, and a service that meets that kid fetches the JWKS from
    whichever replica its Service picks. The other replica must publish the key by
    then, not at its next periodic reload half a minute later."""

    async def run() -> tuple[str, set[str]]:
        engine = create_async_engine(platform_url)
        try:
            one, other = (
                SigningKeys(engine, algorithm="EdDSA", access_ttl=900, passphrase=PASSPHRASE)
                for _ in range(2)
            )
            await one.ensure_active_key()
            await other.reload()
            new_kid = await one.rotate()
            await asyncio.sleep(UNKNOWN_KID_RELOAD_SECONDS + 0.1)
            published = {key["kid"] for key in (await other.jwks())["keys"]}
            return new_kid, published
        finally:
            await engine.dispose()

    new_kid, published = asyncio.run(run())
    assert new_kid in published
