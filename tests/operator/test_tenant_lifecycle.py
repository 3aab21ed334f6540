"""Creating, changing, suspending a Tenant: what the operator does and reports."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from mosaico_devstack.postgres import LocalPostgres
from tests.fixtures.kube import KubeCluster
from tests.fixtures.tenants import INTERNAL
from tests.operator.conftest import (
    ADMIN_PASSWORD,
    RunningOperator,
    Tenants,
    database_exists,
    eventually,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow


def identity_record(identity: str, slug: str) -> httpx.Response:
    return httpx.get(f"{identity}/identity/internal/tenants/{slug}", headers=INTERNAL, timeout=10)


def login(identity: str, slug: str, login_: str, password: str = ADMIN_PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{identity}/identity/v1/auth/login",
        json={"tenant": slug, "login": login_, "password": password},
        timeout=10,
    )


def test_a_new_tenant_becomes_ready_with_its_databases_and_an_admin_who_can_log_in(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres, identity_server: str
) -> None:
    name = tenant_name()
    body = tenant_object(name, modules=["crm", "finance"], limits={"maxUsers": 7})
    tenants.create(body)

    status = tenants.wait_phase(name, "Ready")

    slug_db = name.replace("-", "_")
    for module in ("identity", "crm", "finance"):
        assert database_exists(postgres, f"{module}_{slug_db}")
        assert status["modules"][module]["state"] == "Ready"
        assert status["modules"][module]["database"] == f"{module}_{slug_db}"
    assert status["modules"]["crm"]["schemaVersion"] == "0001"
    assert status["modules"]["identity"]["schemaVersion"]
    assert status["modulesReady"] == "3/3"
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Ready": "True",
        "DatabasesReady": "True",
        "ModulesReady": "True",
    }
    record = identity_record(identity_server, name).json()
    assert record["modules"] == ["crm", "finance", "identity"]
    # The plan's limits, with the tenant's override of maxUsers.
    assert record["limits"] == {"max_users": 7, "max_products": 5000, "max_transactions": None}
    assert record["suspended"] is False
    cpf = body["spec"]["firstAdmin"]["cpf"]
    assert login(identity_server, name, cpf).status_code == 200
    assert status["firstAdmin"] == "Created"
    eventually(lambda: tenants.has_event(name, "DatabaseCreated", f"crm_{slug_db}"), what="an Event")
    assert tenants.has_event(name, "ModuleOnboarded", "crm")
    assert tenants.has_event(name, "FirstAdminCreated")
