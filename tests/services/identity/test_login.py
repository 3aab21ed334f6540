"""Logging in, refreshing, logging out, locking out."""

from __future__ import annotations

from tests.fixtures.tenants import set_suspended


def test_the_admin_logs_in_with_cpf_formatted_or_not_and_with_email(make_tenant, identity):
    tenant = make_tenant()
    cpf = tenant.admin_cpf
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    for login in (cpf, formatted, tenant.admin_email.upper()):
        pair = tenant.login(login)
        assert pair["token_type"] == "Bearer"
        assert pair["refresh_token"].startswith(tenant.slug + ".")
    me = identity.get("/identity/v1/me", headers=tenant.auth())
    assert me.status_code == 200
    assert me.json()["cpf"] == cpf
    assert me.json()["roles"] == ["admin"]


def test_a_wrong_password_is_a_401_problem_that_does_not_say_which_part_was_wrong(
    make_tenant, identity
):
    tenant = make_tenant()
    wrong = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": tenant.admin_cpf, "password": "nope-nope"},
    )
    unknown_user = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": "ninguem@x.com", "password": "nope-nope"},
    )
    unknown_tenant = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": "no-such-tenant", "login": tenant.admin_cpf, "password": "x"},
    )
    for response in (wrong, unknown_user, unknown_tenant):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "Invalid tenant, login or password."


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_whole_session(
    make_tenant, identity
):
    tenant = make_tenant()
    first = tenant.login()
    second = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]

    replay = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    # The legitimate newer token died with the family: whoever replayed cannot go on.
    after = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}
    )
    assert after.status_code == 401


def test_logout_revokes_the_refresh_token(make_tenant, identity):
    tenant = make_tenant()
    pair = tenant.login()
    out = identity.post("/identity/v1/auth/logout", json={"refresh_token": pair["refresh_token"]})
    assert out.status_code == 204
    again = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert again.status_code == 401


def test_malformed_or_foreign_refresh_tokens_are_401(make_tenant, identity):
    a, b = make_tenant(), make_tenant()
    token_of_a = a.login()["refresh_token"]
    moved_to_b = b.slug + token_of_a[len(a.slug) :]
    for value in ("garbage-token-value", moved_to_b, "UPPER.x.y-not-a-token"):
        response = identity.post("/identity/v1/auth/refresh", json={"refresh_token": value})
        assert response.status_code == 401, value


def test_changing_the_password_ends_other_sessions(make_tenant, identity):
    tenant = make_tenant()
    pair = tenant.login()
    changed = identity.post(
        "/identity/v1/me/password",
        headers={"Authorization": f"Bearer {pair['access_token']}"},
        json={"current_password": tenant.admin_password, "new_password": "a-new-password-456"},
    )
    assert changed.status_code == 204
    stale = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert stale.status_code == 401
    assert tenant.login(password="a-new-password-456")["access_token"]


def test_a_suspended_tenant_cannot_log_in_and_its_tokens_stop_working(make_tenant, identity):
    tenant = make_tenant()
    headers = tenant.auth()
    set_suspended(identity, tenant, True)
    assert identity.get("/identity/v1/me", headers=headers).status_code == 403
    login = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": tenant.admin_cpf, "password": tenant.admin_password},
    )
    assert login.status_code == 403
    assert login.json()["type"].endswith("/tenant-suspended")
    set_suspended(identity, tenant, False)
    assert identity.get("/identity/v1/me", headers=headers).status_code == 200
