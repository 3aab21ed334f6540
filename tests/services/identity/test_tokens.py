"""Access tokens: signature, algorithm, expiry, tenant walls, key rotation."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_access_tokens_are_asymmetric_name_their_key_and_carry_the_claims(make_tenant, identity):
    tenant = make_tenant()
    token = tenant.token()
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    jwks = identity.get("/identity/.well-known/jwks.json").json()
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    assert all("d" not in k for k in jwks["keys"])  # public halves only
    claims = _claims(token)
    assert claims["tenant"] == tenant.slug
    assert claims["roles"] == ["admin"]
    assert "identity" in claims["modules"]
    for name in ("sub", "iss", "aud", "exp", "iat", "jti", "plan"):
        assert name in claims


def test_tampered_unsigned_and_hmac_tokens_are_refused(make_tenant, identity):
    tenant = make_tenant()
    token = tenant.token()
    head, _body, signature = token.split(".")
    claims = _claims(token)
    tampered = ".".join([head, _b64({**claims, "roles": ["admin", "root"]}), signature])
    unsigned = ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64(claims), ""])
    jwks = identity.get("/identity/.well-known/jwks.json").json()
    # The classic confusion attack: HS256 keyed with the public key's bytes.
    hmac_token = jwt.encode(claims, jwks["keys"][0]["x"], algorithm="HS256",
                            headers={"kid": jwks["keys"][0]["kid"]})  # fmt: skip
    for bad in (tampered, unsigned, hmac_token, "not-a-jwt", token + "x"):
        response = identity.get("/identity/v1/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, bad
        assert response.headers["content-type"] == "application/problem+json"
    missing = identity.get("/identity/v1/me")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"


def test_an_expired_token_is_refused(make_tenant, identity):
    tenant = make_tenant()
    claims = _claims(tenant.token())
    claims.update(iat=int(time.time()) - 3600, exp=int(time.time()) - 600, jti=uuid.uuid4().hex)
    expired = identity.portal.call(identity.app.state.signing_keys.sign, claims)
    response = identity.get("/identity/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_token_of_tenant_a_never_reaches_tenant_b(make_tenant, identity):
    a, b = make_tenant(), make_tenant()
    b_user = identity.get("/identity/v1/me", headers=b.auth()).json()
    a_headers = a.auth()
    listed = identity.get("/identity/v1/users", headers=a_headers).json()
    assert {u["cpf"] for u in listed["items"]} == {a.admin_cpf}
    assert identity.get(f"/identity/v1/users/{b_user['id']}", headers=a_headers).status_code == 404
    # Re-labelling the token for tenant B breaks its signature.
    head, _body, signature = a_headers["Authorization"].removeprefix("Bearer ").split(".")
    relabelled = ".".join([head, _b64({**_claims(a.token()), "tenant": b.slug}), signature])
    response = identity.get("/identity/v1/me", headers={"Authorization": f"Bearer {relabelled}"})
    assert response.status_code == 401


def test_rotating_the_signing_key_logs_nobody_out(make_tenant, identity, internal_headers):
    tenant = make_tenant()
    before = tenant.token()
    rotated = identity.post("/identity/internal/keys/rotate", headers=internal_headers)
    assert rotated.status_code == 200
    after = tenant.token()
    assert jwt.get_unverified_header(after)["kid"] == rotated.json()["active_kid"]
    assert jwt.get_unverified_header(before)["kid"] != rotated.json()["active_kid"]
    for token in (before, after):
        me = identity.get("/identity/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    kids = {k["kid"] for k in identity.get("/identity/.well-known/jwks.json").json()["keys"]}
    assert jwt.get_unverified_header(before)["kid"] in kids
