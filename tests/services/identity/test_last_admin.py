"""A tenant always keeps an active admin: the last one cannot be demoted or deactivated,
and the operator's first-admin call restores one when none is left."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.tenants import ADMIN_PASSWORD, INTERNAL, make_tenant_factory, valid_cpf


def _me(identity, headers):
    return identity.get("/identity/v1/me", headers=headers).json()


def _first_admin_body(tenant, **overrides):
    return {
        "full_name": "Admin da Silva",
        "cpf": tenant.admin_cpf,
        "email": tenant.admin_email,
        "password": ADMIN_PASSWORD,
        **overrides,
    }


def _sql(postgres, tenant, statement, *params):
    with psycopg.connect(postgres.dsn(database_name("identity", tenant.slug))) as connection:
        connection.execute(statement, params)


def test_the_last_admin_can_neither_demote_nor_deactivate_themselves(make_tenant, identity):
    tenant = make_tenant()
    headers = tenant.auth()
    me = _me(identity, headers)
    for change in ({"roles": ["user"]}, {"active": False}, {"roles": ["manager"], "active": False}):
        refused = identity.patch(f"/identity/v1/users/{me['id']}", headers=headers, json=change)
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "last active admin" in refused.json()["detail"]
    assert _me(identity, tenant.auth())["roles"] == ["admin"]
    # Other changes of the last admin are fine.
    renamed = identity.patch(
        f"/identity/v1/users/{me['id']}", headers=headers, json={"full_name": "Outro Nome"}
    )
    assert renamed.status_code == 200


def test_with_a_second_admin_the_first_may_step_down(make_tenant, identity):
    tenant = make_tenant()
    tenant.add_user(roles=["admin"])
    headers = tenant.auth()
    me = _me(identity, headers)
    stepped = identity.patch(
        f"/identity/v1/users/{me['id']}", headers=headers, json={"roles": ["user"]}
    )
    assert stepped.status_code == 200, stepped.text
    assert stepped.json()["roles"] == ["user"]


@pytest.mark.slow
def test_two_admins_demoting_each_other_at_once_leave_one_admin(postgres, identity_http):
    tenant = make_tenant_factory(postgres, identity_http)()
    second_cpf, second_password = tenant.add_user(roles=["admin"])
    first = tenant.auth()
    second = tenant.auth(second_cpf, second_password)
    ids = [_me(identity_http, first)["id"], _me(identity_http, second)["id"]]

    def demote(pair):
        headers, target = pair
        return identity_http.patch(
            f"/identity/v1/users/{target}", headers=headers, json={"roles": ["user"]}
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(demote, [(first, ids[1]), (second, ids[0])]))
    # The loser either waited for the winner and found the last admin (409), or came
    # after it, when the winner's change had already revoked the loser's token (401).
    assert statuses in ([200, 401], [200, 409]), statuses
    url = postgres.dsn(database_name("identity", tenant.slug))
    with psycopg.connect(url) as connection:
        admins = connection.execute(
            "SELECT count(*) FROM users WHERE active AND 'admin' = ANY(roles)"
        ).fetchone()
    assert admins == (1,)


def test_the_first_admin_call_restores_a_deactivated_last_admin(make_tenant, identity, postgres):
    tenant = make_tenant()
    _sql(postgres, tenant, "UPDATE users SET active = false WHERE cpf = %s", tenant.admin_cpf)
    locked_out = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": tenant.admin_cpf, "password": ADMIN_PASSWORD},
    )
    assert locked_out.status_code == 401
    restored = identity.put(
        f"/identity/internal/tenants/{tenant.slug}/admin",
        headers=INTERNAL,
        json=_first_admin_body(tenant),
    )
    assert restored.status_code == 200, restored.text
    assert restored.json()["restored"] is True
    assert restored.json()["created"] is False
    me = _me(identity, tenant.auth())
    assert me["active"] is True
    assert me["roles"] == ["admin"]
    again = identity.put(
        f"/identity/internal/tenants/{tenant.slug}/admin",
        headers=INTERNAL,
        json=_first_admin_body(tenant),
    )
    assert again.json() == {**restored.json(), "restored": False}


def test_the_first_admin_call_gives_a_demoted_first_admin_the_role_back(
    make_tenant, identity, postgres
):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["manager"])
    _sql(postgres, tenant, "UPDATE users SET roles = '{user}' WHERE cpf = %s", tenant.admin_cpf)
    restored = identity.put(
        f"/identity/internal/tenants/{tenant.slug}/admin",
        headers=INTERNAL,
        json=_first_admin_body(tenant, password=None),
    )
    assert restored.json()["restored"] is True
    assert _me(identity, tenant.auth())["roles"] == ["admin", "user"]
    # The manager was not promoted: only the Tenant's first admin is restored.
    assert _me(identity, tenant.auth(cpf, password))["roles"] == ["manager"]


def test_with_an_active_admin_the_first_admin_call_changes_nothing(make_tenant, identity, postgres):
    tenant = make_tenant()
    tenant.add_user(roles=["admin"])
    _sql(postgres, tenant, "UPDATE users SET active = false WHERE cpf = %s", tenant.admin_cpf)
    unchanged = identity.put(
        f"/identity/internal/tenants/{tenant.slug}/admin",
        headers=INTERNAL,
        json=_first_admin_body(tenant),
    )
    assert unchanged.json()["restored"] is False
    refused = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": tenant.admin_cpf, "password": ADMIN_PASSWORD},
    )
    assert refused.status_code == 401


def test_an_expired_first_admin_invite_is_issued_anew(make_tenant, identity, postgres):
    tenant = make_tenant()
    body = {
        "full_name": "Nova Admin",
        "cpf": valid_cpf(5151),
        "email": f"nova@{tenant.slug}.com.br",
    }
    url = f"/identity/internal/tenants/{tenant.slug}/admin"
    first = identity.put(url, headers=INTERNAL, json=body).json()
    assert first["created"] is True
    assert first["invite_token"]
    assert identity.put(url, headers=INTERNAL, json=body).json()["created"] is False
    _sql(postgres, tenant, "UPDATE invites SET expires_at = now() - interval '1 second'")
    renewed = identity.put(url, headers=INTERNAL, json=body).json()
    assert renewed["created"] is True
    assert renewed["invite_token"] not in (None, first["invite_token"])
