"""Verifying tokens with identity's JWKS over HTTP, as every other module does."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from mosaico_shared.auth.tokens import JwksKeySource, TokenVerifier
from mosaico_shared.problems import Unauthorized

from tests.fixtures.tenants import INTERNAL, make_tenant_factory


@pytest.fixture
def tenant(postgres, identity_http):
    return make_tenant_factory(postgres, identity_http)()


def _verify(identity_server: str, tokens: list[str], *, min_refresh: float = 0.0):
    async def run():
        async with httpx.AsyncClient() as http:
            keys = JwksKeySource(
                f"{identity_server}/identity/.well-known/jwks.json", http,
                min_refresh_interval=min_refresh,
            )  # fmt: skip
            verifier = TokenVerifier(keys, issuer="mosaico-identity", audience="mosaico")
            outcomes = []
            for token in tokens:
                if callable(token):
                    token = token()
                try:
                    outcomes.append(await verifier.verify(token))
                except Unauthorized as exc:
                    outcomes.append(exc)
            return outcomes

    return asyncio.run(run())


def test_a_valid_token_becomes_a_principal(identity_server, tenant):
    [principal] = _verify(identity_server, [tenant.token()])
    assert principal.tenant == tenant.slug
    assert principal.is_admin
    assert "identity" in principal.modules


def test_after_a_rotation_the_new_kid_triggers_a_refetch(identity_server, identity_http, tenant):
    def rotate_then_login() -> str:
        identity_http.post("/identity/internal/keys/rotate", headers=INTERNAL).raise_for_status()
        return tenant.token()

    old = tenant.token()
    outcomes = _verify(identity_server, [old, rotate_then_login, old])
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes


def test_an_unknown_kid_is_refused_without_hammering_identity(identity_server, tenant):
    claims = jwt.decode(tenant.token(), options={"verify_signature": False})
    stranger = ed25519.Ed25519PrivateKey.generate()
    forged = jwt.encode(claims, stranger, algorithm="EdDSA", headers={"kid": "nope"})
    outcomes = _verify(identity_server, [forged, forged], min_refresh=60)
    assert all(isinstance(o, Unauthorized) for o in outcomes)
    assert "unknown key" in outcomes[0].detail


def test_a_cached_token_is_not_trusted_past_its_expiry(identity_server, tenant):
    async def run():
        async with httpx.AsyncClient() as http:
            keys = JwksKeySource(f"{identity_server}/identity/.well-known/jwks.json", http)
            verifier = TokenVerifier(keys, issuer="mosaico-identity", audience="mosaico")
            token = tenant.token()
            first = await verifier.verify(token)
            assert await verifier.verify(token) is first  # answered from the cache
            stale = replace(first, expires_at=datetime.now(UTC) - timedelta(minutes=1))
            verifier._verified[token] = stale
            return stale, await verifier.verify(token)

    stale, again = asyncio.run(run())
    assert again is not stale  # verified afresh, not taken from the stale entry
    assert again.expires_at > datetime.now(UTC)
