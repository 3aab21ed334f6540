"""Internal routes: each caller proves who it is and may do only its own job; the
public OpenAPI shows none of them."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from mosaico_shared.auth import CallerCredentials, TokenFileAuth

from tests.fixtures.callers import caller_headers
from tests.fixtures.tenants import TenantFactory

OPERATOR_ONLY = [
    ("PUT", "/identity/internal/tenants/{slug}"),
    ("DELETE", "/identity/internal/tenants/{slug}"),
    ("GET", "/identity/internal/tenants"),
    ("PUT", "/identity/internal/tenants/{slug}/admin"),
    ("POST", "/identity/internal/tenants/{slug}/onboard"),
    ("GET", "/identity/internal/tenants/{slug}/onboard"),
    ("POST", "/identity/internal/keys/rotate"),
]


@pytest.mark.parametrize(("method", "path"), OPERATOR_ONLY)
@pytest.mark.parametrize("service", ["crm", "finance", "identity"])
def test_a_service_may_not_do_the_operators_job(
    identity: TestClient, make_tenant: TenantFactory, service: str, method: str, path: str
) -> None:
    tenant = make_tenant()
    response = identity.request(
        method, path.format(slug=tenant.slug), headers=caller_headers(service), json={}
    )
    assert response.status_code in (403, 405), response.text
    if response.status_code == 403:
        assert service in response.json()["detail"]


def test_services_read_a_tenants_status_and_nothing_else(
    identity: TestClient, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    status = identity.get(
        f"/identity/internal/tenants/{tenant.slug}", headers=caller_headers("crm")
    )
    assert status.status_code == 200
    assert status.json()["slug"] == tenant.slug


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer "}, {"Authorization": "Bearer someone-elses-guess"},
     {"Authorization": "Basic b3BlcmF0b3I6eA=="}],
)  # fmt: skip
def test_without_a_callers_own_token_internal_routes_answer_401(
    identity: TestClient, headers: dict[str, str]
) -> None:
    response = identity.get("/identity/internal/tenants", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_users_access_token_opens_no_internal_route(
    identity: TestClient, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    response = identity.get(f"/identity/internal/tenants/{tenant.slug}", headers=tenant.auth())
    assert response.status_code == 401


def test_the_public_openapi_has_no_internal_route_and_names_the_user_scheme(
    identity: TestClient,
) -> None:
    schema = identity.get("/identity/openapi.json").json()
    assert not [p for p in schema["paths"] if "/internal/" in p]
    assert set(schema["components"]["securitySchemes"]) == {"AccessToken"}


def test_callers_read_the_internal_openapi_with_its_own_scheme(identity: TestClient) -> None:
    assert identity.get("/identity/internal/openapi.json").status_code == 401
    schema = identity.get("/identity/internal/openapi.json", headers=caller_headers("crm")).json()
    assert schema["paths"]
    assert all("/internal/" in p for p in schema["paths"])
    assert set(schema["components"]["securitySchemes"]) == {"InternalCallerToken"}


def test_a_rotated_token_file_is_read_again(tmp_path: Path) -> None:
    # The kubelet's layout: token -> ..data/token, ..data -> a timestamped folder,
    # swapped atomically when the token is renewed.
    def publish(version: str, token: str) -> None:
        folder = tmp_path / version
        folder.mkdir()
        (folder / "identity").write_text(token)
        (tmp_path / "..data.tmp").symlink_to(folder.name)
        os.replace(tmp_path / "..data.tmp", tmp_path / "..data")

    publish("..2026_01", "first-token")
    (tmp_path / "identity").symlink_to("..data/identity")
    auth = CallerCredentials(tmp_path).for_service("identity")
    assert isinstance(auth, TokenFileAuth)

    def sent() -> str:
        request = httpx.Request("GET", "http://identity.mosaico.svc:8000/")
        return next(auth.auth_flow(request)).headers["Authorization"]

    assert sent() == "Bearer first-token"
    publish("..2026_02", "second-token")
    assert sent() == "Bearer second-token"


def test_a_missing_credential_file_is_a_503_problem_not_a_crash(tmp_path: Path) -> None:
    from mosaico_shared.problems import DependencyUnavailable

    auth = TokenFileAuth(tmp_path / "identity")
    with pytest.raises(DependencyUnavailable):
        auth.token()
