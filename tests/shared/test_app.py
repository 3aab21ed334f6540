"""The app factory: readiness that depends on the pod alone, identity's reachability as
a metric, and errors nobody handled rendered with their request's context."""

from __future__ import annotations

import gc
import json
import re

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from mosaico_devstack.ports import free_port
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.app import create_service_app
from mosaico_shared.logs import tenant_var
from mosaico_shared.settings import ServiceSettings
from prometheus_client import REGISTRY

from tests.fixtures.callers import internal_auth_settings
from tests.fixtures.polling import eventually


class ProbeSettings(ServiceSettings):
    module = "probe"


def failing_router() -> APIRouter:
    router = APIRouter(prefix="/probe/v1")

    @router.get("/boom")
    async def boom() -> None:
        tenant_var.set("acme")  # as the token dependency does for a real request
        raise RuntimeError("a bug")

    @router.get("/crowded")
    async def crowded(request: Request) -> None:
        # Holds the pod's only connection while asking for a second one.
        databases = request.app.state.databases
        held = databases.engine_for_database("postgres")
        async with held.connect(), databases.engine_for_database("template1").connect():
            pass

    return router


def probe_app(postgres: LocalPostgres, identity_url: str, **overrides: object) -> TestClient:
    settings = ProbeSettings(
        database_url=postgres.app_url,
        **internal_auth_settings("crm"),
        identity_url=identity_url,
        dependency_probe_seconds=0.05,
        **overrides,
    )
    app = create_service_app(settings, routers=[failing_router()])
    return TestClient(app, raise_server_exceptions=False)


def identity_up() -> float | None:
    return REGISTRY.get_sample_value(
        "mosaico_dependency_up", {"module": "probe", "dependency": "identity"}
    )


@pytest.mark.slow
def test_readiness_holds_while_identity_is_down_and_the_metric_says_so(postgres):
    nobody = f"http://127.0.0.1:{free_port()}"
    with probe_app(postgres, nobody) as client:
        ready = client.get("/probe/readyz")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"]) == {"database_server_ready"}
        eventually(lambda: identity_up() == 0, what="identity reported unreachable")
        metrics = client.get("/probe/metrics").text
        assert 'mosaico_dependency_up{dependency="identity",module="probe"} 0.0' in metrics


def test_a_started_service_keeps_what_startup_made_out_of_the_collectors_walks(postgres):
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    with probe_app(postgres, f"http://127.0.0.1:{free_port()}") as client:
        # The app's modules, routes and validators: all alive for the whole process.
        assert gc.get_freeze_count() > 10_000
        assert client.get("/probe/healthz").status_code == 200


@pytest.mark.slow
def test_identity_answering_shows_as_up(postgres, identity_server):
    with probe_app(postgres, identity_server) as client:
        eventually(lambda: identity_up() == 1, what="identity reported reachable")
        assert client.get("/probe/readyz").status_code == 200


def test_an_unhandled_error_keeps_its_request_id_and_tenant(postgres, capsys):
    client = probe_app(postgres, f"http://127.0.0.1:{free_port()}")
    answer = client.get("/probe/v1/boom", headers={"X-Request-ID": "req-4242"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["x-request-id"] == "req-4242"
    body = answer.json()
    assert body["request_id"] == "req-4242"
    assert body["instance"] == "/probe/v1/boom"
    assert "a bug" not in answer.text  # no internals in the answer
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    error = next(line for line in lines if line["message"].startswith("unhandled error"))
    assert error["request_id"] == "req-4242"
    assert error["tenant"] == "acme"
    assert error["level"] == "ERROR"
    assert "RuntimeError: a bug" in error["exc_info"]
    access = next(line for line in lines if line["name"] == "mosaico.access")
    assert access["status"] == 500
    assert access["request_id"] == "req-4242"


def test_a_request_finding_every_connection_in_use_is_told_to_retry(postgres):
    client = probe_app(
        postgres,
        f"http://127.0.0.1:{free_port()}",
        db_connection_budget=1,
        db_pool_timeout_seconds=0.2,
    )
    answer = client.get("/probe/v1/crowded", headers={"X-Request-ID": "req-busy"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    body = answer.json()
    assert body["type"].endswith("/database-busy")
    assert body["request_id"] == "req-busy"


def test_the_docs_page_loads_everything_from_the_service_itself(postgres):
    client = probe_app(postgres, f"http://127.0.0.1:{free_port()}")
    page = client.get("/probe/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert len(assets) >= 3, page.text  # script, style sheet, icon
    assert not [a for a in assets if "://" in a or a.startswith("//")], assets
    for asset in assets:
        assert asset.startswith("/probe/docs/assets/"), asset
        loaded = client.get(asset)
        assert loaded.status_code == 200, asset
        assert loaded.content
    assert "'/probe/openapi.json'" in page.text or '"/probe/openapi.json"' in page.text
