"""identity as a real uvicorn process: probes, metrics, request ids, JSON logs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.fixtures.tenants import make_tenant_factory

pytestmark = pytest.mark.slow


@pytest.fixture
def tenant(postgres, identity_http):
    return make_tenant_factory(postgres, identity_http)()


def _log_lines(identity_server: str) -> list[dict]:
    port = identity_server.rsplit(":", 1)[1]
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"identity-{port}.log"
    lines = []
    for line in path.read_text().splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return lines


def test_probes_and_metrics_answer(identity_http):
    assert identity_http.get("/identity/healthz").json() == {"status": "ok"}
    ready = identity_http.get("/identity/readyz")
    assert ready.status_code == 200
    assert set(ready.json()["checks"].values()) == {"ok"}
    identity_http.get("/identity/.well-known/jwks.json")
    metrics = identity_http.get("/identity/metrics").text
    assert "http_requests_total" in metrics
    assert 'handler="/identity/.well-known/jwks.json"' in metrics


def test_the_request_id_is_echoed_or_generated(identity_http):
    echoed = identity_http.get("/identity/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = identity_http.get("/identity/healthz")
    assert len(generated.headers["x-request-id"]) == 32
    unsafe = identity_http.get("/identity/healthz", headers={"X-Request-ID": "a b\tc"})
    assert unsafe.headers["x-request-id"] != "a b\tc"


def test_json_logs_carry_module_tenant_and_request_id_and_never_the_password(
    identity_server, identity_http, tenant
):
    response = identity_http.get(
        "/identity/v1/me", headers={**tenant.auth(), "X-Request-ID": "log-check-1"}
    )
    assert response.status_code == 200
    identity_http.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": tenant.admin_cpf, "password": "leaky-secret-9"},
    )
    lines = _log_lines(identity_server)
    mine = [line for line in lines if line.get("request_id") == "log-check-1"]
    assert mine, "the request left no log line"
    assert mine[0]["module"] == "identity"
    assert mine[0]["tenant"] == tenant.slug
    assert mine[0]["path"] == "/identity/v1/me"
    everything = json.dumps(lines)
    assert "leaky-secret-9" not in everything
    assert tenant.admin_password not in everything


def test_a_login_over_real_http_gives_a_token_the_process_accepts(identity_http, tenant):
    me = identity_http.get("/identity/v1/me", headers=tenant.auth())
    assert me.status_code == 200
    assert me.json()["email"] == tenant.admin_email
