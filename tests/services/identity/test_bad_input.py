"""Bad input gets a 4xx problem+json, never a 500 or a stack trace."""

from __future__ import annotations

import pytest

from tests.fixtures.tenants import INTERNAL, valid_cnpj, valid_cpf


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def test_malformed_json_is_a_400_problem(identity):
    response = identity.post(
        "/identity/v1/auth/login",
        content=b'{"tenant": "acme", "login": ',
        headers={"content-type": "application/json"},
    )
    assert _is_problem(response, 400)["type"].endswith("/malformed-body")


def test_an_oversized_body_is_a_413_problem(identity):
    body = b'{"tenant": "acme", "login": "' + b"x" * 2_000_000 + b'", "password": "x"}'
    response = identity.post(
        "/identity/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    _is_problem(response, 413)


def test_an_oversized_chunked_body_is_a_413_problem(identity):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536

    response = identity.post(
        "/identity/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    _is_problem(response, 413)


@pytest.mark.parametrize(
    "cnpj", ["11.222.333/0001-80", "123", "00000000000000", "abcdefghijklmn", "12ABC34501DE36"]
)
def test_an_invalid_cnpj_is_refused_by_the_registry(identity, cnpj):
    response = identity.put(
        "/identity/internal/tenants/acme-bad",
        headers=INTERNAL,
        json={"display_name": "X", "cnpj": cnpj, "plan": "empresa", "modules": []},
    )
    assert "cnpj" in _is_problem(response, 422)["detail"]


@pytest.mark.parametrize("cnpj", ["12ABC34501DE35", "12.abc.345/01de-35"])
def test_an_alphanumeric_cnpj_is_registered_upper_case(identity, cnpj):
    response = identity.put(
        "/identity/internal/tenants/acme-alnum",
        headers=INTERNAL,
        json={"display_name": "X", "cnpj": cnpj, "plan": "empresa", "modules": []},
    )
    assert response.status_code == 200, response.text
    assert response.json()["cnpj"] == "12ABC34501DE35"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("suspended", 0),
        ("suspended", "false"),
        ("limits", {"max_users": "5"}),
        ("limits", {"max_users": 5.0}),
    ],
)
def test_the_registry_takes_booleans_and_counts_as_json_writes_them(identity, field, value):
    """Lax parsing would store 0 as "not suspended" and "5" as five users: the
    operator's own mistake, made silently into a tenant's state."""
    body = {"display_name": "X", "cnpj": valid_cnpj(901), "plan": "empresa", "modules": []}
    response = identity.put(
        "/identity/internal/tenants/acme-lax", headers=INTERNAL, json={**body, field: value}
    )
    assert field in _is_problem(response, 422)["detail"]


def test_internal_endpoints_need_the_internal_credential(identity, make_tenant):
    tenant = make_tenant()
    for headers in ({}, {"Authorization": "Bearer wrong"}, tenant.auth()):
        response = identity.get(f"/identity/internal/tenants/{tenant.slug}", headers=headers)
        _is_problem(response, 401)


def test_an_unknown_tenant_is_a_404_on_the_registry(identity):
    _is_problem(identity.get("/identity/internal/tenants/nobody", headers=INTERNAL), 404)


def test_a_registered_tenant_without_a_database_is_a_clear_404(identity):
    identity.put(
        "/identity/internal/tenants/no-database",
        headers=INTERNAL,
        json={"display_name": "X", "cnpj": valid_cnpj(901), "plan": "empresa", "modules": []},
    )
    response = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": "no-database", "login": valid_cpf(1), "password": "whatever-1"},
    )
    assert _is_problem(response, 404)["type"].endswith("/tenant-not-provisioned")
    onboard = identity.post("/identity/internal/tenants/no-database/onboard", headers=INTERNAL)
    assert _is_problem(onboard, 404)["type"].endswith("/tenant-not-provisioned")


def test_invalid_tenant_slugs_and_ids_are_422(identity, make_tenant):
    tenant = make_tenant()
    bad_slug = identity.put("/identity/internal/tenants/Not_A_Slug", headers=INTERNAL, json={})
    _is_problem(bad_slug, 422)
    bad_id = identity.get("/identity/v1/users/not-a-uuid", headers=tenant.auth())
    _is_problem(bad_id, 422)
    huge_page = identity.get("/identity/v1/users?limit=100000", headers=tenant.auth())
    _is_problem(huge_page, 422)


def test_validation_errors_never_echo_a_password(identity):
    response = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": "BAD SLUG", "login": "x", "password": "super-secret-value"},
    )
    _is_problem(response, 422)
    assert "super-secret-value" not in response.text


def test_unknown_routes_are_404_problems(identity):
    _is_problem(identity.get("/identity/v1/nothing-here"), 404)


def test_text_the_database_cannot_store_is_a_422_not_a_503(identity, make_tenant):
    tenant = make_tenant()
    response = identity.post(
        "/identity/v1/users",
        headers=tenant.auth(),
        json={
            "full_name": "Nul\u0000Byte",
            "cpf": valid_cpf(4242),
            "email": "nul@example.com.br",
            "password": "nul-password-1",
        },
    )
    _is_problem(response, 422)


def test_identity_creates_its_platform_database_when_its_role_may(postgres):
    from fastapi.testclient import TestClient
    from mosaico_identity.main import create_app

    from tests.fixtures.identity import identity_settings

    settings = identity_settings(
        postgres, database_url=postgres.url(), platform_database="identity_platform_fresh"
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/identity/readyz").status_code == 200


def test_identity_refuses_to_start_without_a_platform_database_it_cannot_create(postgres):
    from fastapi.testclient import TestClient
    from mosaico_identity.main import create_app

    from tests.fixtures.identity import identity_settings

    settings = identity_settings(postgres, platform_database="identity_platform_missing")
    with pytest.raises(RuntimeError, match="CREATEDB"), TestClient(create_app(settings)):
        pass
