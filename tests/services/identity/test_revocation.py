"""Taking access away works at once: a deactivated or re-roled user's sessions end, and
their earlier access tokens are refused (identity's registry publishes a per-user
"not before" that every service reads with the tenant's status)."""

from __future__ import annotations

import time
import uuid

import psycopg

from tests.fixtures.tenants import INTERNAL


def _bearer(pair):
    return {"Authorization": f"Bearer {pair['access_token']}"}


def _user_id(identity, pair):
    return identity.get("/identity/v1/me", headers=_bearer(pair)).json()["id"]


def test_a_deactivated_users_token_is_refused_at_once_even_by_me(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    pair = tenant.login(cpf, password)
    user_id = _user_id(identity, pair)
    patched = identity.patch(
        f"/identity/v1/users/{user_id}", headers=tenant.auth(), json={"active": False}
    )
    assert patched.status_code == 200
    me = identity.get("/identity/v1/me", headers=_bearer(pair))
    assert me.status_code == 401, me.text
    assert me.headers["content-type"] == "application/problem+json"


def test_a_demoted_managers_token_loses_the_managers_rights(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["manager"])
    pair = tenant.login(cpf, password)
    assert identity.get("/identity/v1/users", headers=_bearer(pair)).status_code == 200
    user_id = _user_id(identity, pair)
    demoted = identity.patch(
        f"/identity/v1/users/{user_id}", headers=tenant.auth(), json={"roles": ["user"]}
    )
    assert demoted.status_code == 200
    assert identity.get("/identity/v1/users", headers=_bearer(pair)).status_code == 401
    refreshed = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401
    # Logging in again, even within the same second, gives a token with the new roles.
    fresh = tenant.login(cpf, password)
    assert identity.get("/identity/v1/me", headers=_bearer(fresh)).json()["roles"] == ["user"]
    assert identity.get("/identity/v1/users", headers=_bearer(fresh)).status_code == 403


def test_changes_that_take_nothing_away_leave_tokens_working(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    pair = tenant.login(cpf, password)
    user_id = _user_id(identity, pair)
    renamed = identity.patch(
        f"/identity/v1/users/{user_id}",
        headers=tenant.auth(),
        json={"full_name": "Nome Novo", "roles": ["user"]},
    )
    assert renamed.status_code == 200
    assert identity.get("/identity/v1/me", headers=_bearer(pair)).status_code == 200
    assert (
        identity.post(
            "/identity/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        ).status_code
        == 200
    )


def test_the_registry_lists_cutoffs_only_for_users_changed_within_a_token_lifetime(
    make_tenant, identity, postgres
):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["manager"])
    user_id = _user_id(identity, tenant.login(cpf, password))
    before = int(time.time())
    identity.patch(f"/identity/v1/users/{user_id}", headers=tenant.auth(), json={"roles": ["user"]})
    long_ago = uuid.uuid4()
    with psycopg.connect(postgres.dsn("identity_platform")) as connection:
        connection.execute(
            "INSERT INTO token_cutoffs (tenant, user_id, not_before) VALUES (%s, %s, %s)",
            (tenant.slug, long_ago, before - 3600),
        )
    record = identity.get(f"/identity/internal/tenants/{tenant.slug}", headers=INTERNAL).json()
    assert set(record["users_not_before"]) == {user_id}
    assert before < record["users_not_before"][user_id] <= int(time.time()) + 1
