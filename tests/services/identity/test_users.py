"""Users, roles, invites and the plan's user limit."""

from __future__ import annotations

from tests.fixtures.tenants import valid_cpf


def _new_user(n: int, **overrides) -> dict:
    return {
        "full_name": "Ana Souza",
        "cpf": valid_cpf(900 + n),
        "email": f"ana{n}@example.com.br",
        "whatsapp": "(11) 98765-4321",
        "password": "ana-password-123",
        "roles": ["user"],
        **overrides,
    }


def test_an_admin_creates_a_user_who_can_then_log_in(make_tenant, identity):
    tenant = make_tenant()
    created = identity.post("/identity/v1/users", headers=tenant.auth(), json=_new_user(1))
    assert created.status_code == 201, created.text
    assert created.json()["whatsapp"] == "+5511987654321"
    assert "password" not in created.text
    assert "password_hash" not in created.text
    token = tenant.token(login="ana1@example.com.br", password="ana-password-123")
    assert token


def test_a_plain_user_may_not_manage_users(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    headers = tenant.auth(cpf, password)
    assert identity.get("/identity/v1/users", headers=headers).status_code == 403
    forbidden = identity.post("/identity/v1/users", headers=headers, json=_new_user(2))
    assert forbidden.status_code == 403
    assert forbidden.json()["title"] == "Forbidden"
    assert identity.get("/identity/v1/me", headers=headers).status_code == 200


def test_invalid_cpf_email_or_phone_get_a_422_naming_the_field(make_tenant, identity):
    tenant = make_tenant()
    headers = tenant.auth()
    for field, value in (
        ("cpf", "123.456.789-00"),
        ("email", "not-an-email"),
        ("whatsapp", "12345"),
    ):
        response = identity.post(
            "/identity/v1/users", headers=headers, json=_new_user(3, **{field: value})
        )
        assert response.status_code == 422, field
        assert response.headers["content-type"] == "application/problem+json"
        assert field in response.json()["detail"]


def test_cpf_and_email_are_unique_within_a_tenant_but_not_across_tenants(make_tenant, identity):
    a, b = make_tenant(), make_tenant()
    body = _new_user(4)
    assert identity.post("/identity/v1/users", headers=a.auth(), json=body).status_code == 201
    clash = identity.post("/identity/v1/users", headers=a.auth(), json=body)
    assert clash.status_code == 409
    assert identity.post("/identity/v1/users", headers=b.auth(), json=body).status_code == 201


def test_the_plans_max_users_is_enforced(make_tenant, identity):
    tenant = make_tenant(limits={"max_users": 2})
    headers = tenant.auth()
    assert (
        identity.post("/identity/v1/users", headers=headers, json=_new_user(5)).status_code == 201
    )
    refused = identity.post("/identity/v1/users", headers=headers, json=_new_user(6))
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("/limit-exceeded")
    invite = identity.post("/identity/v1/invites", headers=headers, json={"email": "x@y.com.br"})
    assert invite.status_code == 403


def test_an_invite_is_accepted_once_with_the_roles_it_was_given(make_tenant, identity):
    tenant = make_tenant()
    issued = identity.post(
        "/identity/v1/invites",
        headers=tenant.auth(),
        json={"email": "convidada@acme.com.br", "roles": ["manager"]},
    )
    assert issued.status_code == 201
    token = issued.json()["token"]
    accept = {
        "token": token,
        "full_name": "Convidada",
        "cpf": valid_cpf(777),
        "password": "convidada-123",
    }
    accepted = identity.post("/identity/v1/invites/accept", json=accept)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["roles"] == ["manager"]
    again = identity.post("/identity/v1/invites/accept", json={**accept, "cpf": valid_cpf(778)})
    assert again.status_code == 401
    manager = tenant.auth(login="convidada@acme.com.br", password="convidada-123")
    assert identity.get("/identity/v1/users", headers=manager).status_code == 200


def test_deactivating_a_user_ends_their_sessions(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    pair = tenant.login(cpf, password)
    me = identity.get(
        "/identity/v1/me", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    patched = identity.patch(
        f"/identity/v1/users/{me.json()['id']}", headers=tenant.auth(), json={"active": False}
    )
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    assert (
        identity.post(
            "/identity/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
        ).status_code
        == 401
    )
    login = identity.post(
        "/identity/v1/auth/login", json={"tenant": tenant.slug, "login": cpf, "password": password}
    )
    assert login.status_code == 401


def test_users_are_listed_a_page_at_a_time_with_a_cursor(make_tenant, identity):
    tenant = make_tenant()
    headers = tenant.auth()
    for n in (10, 11):
        assert (
            identity.post("/identity/v1/users", headers=headers, json=_new_user(n)).status_code
            == 201
        )
    first = identity.get("/identity/v1/users", headers=headers, params={"limit": 2}).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = identity.get(
        "/identity/v1/users", headers=headers, params={"limit": 2, "cursor": first["next_cursor"]}
    ).json()
    assert second["next_cursor"] is None
    listed = [u["cpf"] for u in first["items"] + second["items"]]
    assert sorted(listed) == sorted({tenant.admin_cpf, valid_cpf(910), valid_cpf(911)})
    garbage = identity.get("/identity/v1/users", headers=headers, params={"cursor": "nope"})
    assert garbage.status_code == 422
    assert garbage.headers["content-type"] == "application/problem+json"
