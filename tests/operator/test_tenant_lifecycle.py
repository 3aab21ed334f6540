"""Creating, changing, suspending a Tenant: what the operator does and reports."""

from __future__ import annotations

import base64

import httpx
import psycopg
import pytest
from mosaico_devstack.postgres import LocalPostgres

from tests.fixtures.kube import KubeCluster
from tests.fixtures.tenants import INTERNAL
from tests.operator.objects import (
    ADMIN_PASSWORD,
    NAMESPACE,
    RunningOperator,
    Tenants,
    database_exists,
    eventually,
    schema_version,
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
    # crm is the real service: its own migrations, then its default pipeline seeded.
    assert status["modules"]["crm"]["schemaVersion"] == schema_version(postgres, f"crm_{slug_db}")
    with psycopg.connect(postgres.dsn(f"crm_{slug_db}")) as conn:
        stages = conn.execute("SELECT count(*) FROM stages").fetchone()
    assert stages is not None
    assert stages[0] > 0
    # So is finance: its own migrations, then its default categories seeded.
    finance_db = f"finance_{slug_db}"
    assert status["modules"]["finance"]["schemaVersion"] == schema_version(postgres, finance_db)
    with psycopg.connect(postgres.dsn(finance_db)) as conn:
        categories = conn.execute("SELECT count(*) FROM categories").fetchone()
    assert categories is not None
    assert categories[0] > 0
    assert status["modules"]["identity"]["schemaVersion"]
    assert status["modulesReady"] == "3/3"
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Ready": "True",
        "DatabasesReady": "True",
        "ModulesReady": "True",
        "DeletionPolicyAccepted": "True",
    }
    record = identity_record(identity_server, name).json()
    assert record["modules"] == ["crm", "finance", "identity"]
    # The plan's limits, with the tenant's override of maxUsers.
    assert record["limits"] == {"max_users": 7, "max_products": 5000, "max_transactions": None}
    assert record["suspended"] is False
    cpf = body["spec"]["firstAdmin"]["cpf"]
    assert login(identity_server, name, cpf).status_code == 200
    assert status["firstAdmin"] == "Created"
    eventually(
        lambda: tenants.has_event(name, "DatabaseCreated", f"crm_{slug_db}"), what="an Event"
    )
    assert tenants.has_event(name, "ModuleOnboarded", "crm")
    assert tenants.has_event(name, "FirstAdminCreated")


def test_without_a_password_the_first_admin_is_invited_and_the_invite_kept_in_a_secret(
    operator: RunningOperator, tenants: Tenants, identity_server: str
) -> None:
    name = tenant_name()
    body = tenant_object(name, modules=["finance"], password=False)
    tenants.create(body)

    status = tenants.wait_phase(name, "Ready")

    assert status["firstAdmin"] == "Invited"
    secret = tenants.core.read_namespaced_secret(f"tenant-{name}-first-admin-invite", NAMESPACE)
    token = base64.b64decode(secret.data["invite-token"]).decode()
    admin = body["spec"]["firstAdmin"]
    accepted = httpx.post(
        f"{identity_server}/identity/v1/invites/accept",
        json={
            "token": token,
            "full_name": admin["fullName"],
            "cpf": admin["cpf"],
            "password": "chosen-password-1",
        },
        timeout=10,
    )
    assert accepted.status_code == 201, accepted.text
    assert login(identity_server, name, admin["email"], "chosen-password-1").status_code == 200
    # The token is a credential: it is in the Secret, never in the operator's log.
    assert token not in operator.log.read_text()


def test_adding_and_removing_modules_keeps_the_data_of_a_disabled_module(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres, identity_server: str
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["finance"]))
    tenants.wait_phase(name, "Ready")
    commerce_db = f"commerce_{name.replace('-', '_')}"
    assert not database_exists(postgres, commerce_db)

    tenants.patch_spec(name, modules=["finance", "commerce"])
    status = tenants.wait_phase(name, "Ready")
    assert database_exists(postgres, commerce_db)
    assert status["modules"]["commerce"]["state"] == "Ready"
    assert identity_record(identity_server, name).json()["modules"] == [
        "commerce",
        "finance",
        "identity",
    ]
    with psycopg.connect(postgres.dsn(commerce_db), autocommit=True) as conn:
        conn.execute("INSERT INTO notes (body) VALUES ('pedido 1: 3 pães de queijo')")

    tenants.patch_spec(name, modules=["finance"])
    status = tenants.wait_phase(name, "Ready")
    assert status["modules"]["commerce"]["state"] == "Disabled"
    assert status["modulesReady"] == "2/2"
    assert database_exists(postgres, commerce_db)
    assert identity_record(identity_server, name).json()["modules"] == ["finance", "identity"]
    eventually(
        lambda: tenants.has_event(name, "ModuleDisabled", commerce_db),
        what="a ModuleDisabled Event",
    )

    tenants.patch_spec(name, modules=["finance", "commerce"])
    status = tenants.wait_phase(name, "Ready")
    assert status["modules"]["commerce"]["state"] == "Ready"
    with psycopg.connect(postgres.dsn(commerce_db)) as conn:
        rows = conn.execute("SELECT body FROM notes").fetchall()
    assert rows == [("pedido 1: 3 pães de queijo",)]
    assert tenants.has_event(name, "ModuleEnabled", commerce_db)


def test_changing_the_plan_changes_the_limits_identity_enforces(
    operator: RunningOperator, tenants: Tenants, identity_server: str
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["finance"], plan="empresa"))
    tenants.wait_phase(name, "Ready")
    assert identity_record(identity_server, name).json()["limits"]["max_users"] == 20

    tenants.patch_spec(name, plan="lojista")
    tenants.wait_phase(name, "Ready")

    record = identity_record(identity_server, name).json()
    assert record["plan"] == "lojista"
    assert record["limits"] == {"max_users": 3, "max_products": 500, "max_transactions": None}


def test_a_suspended_tenant_is_refused_by_every_module_and_let_back_in_when_resumed(
    operator: RunningOperator, tenants: Tenants, identity_server: str, crm_service: str
) -> None:
    name = tenant_name()
    body = tenant_object(name, modules=["crm"])
    tenants.create(body)
    tenants.wait_phase(name, "Ready")
    cpf = body["spec"]["firstAdmin"]["cpf"]
    token = login(identity_server, name, cpf).json()["access_token"]

    def leads() -> int:
        response = httpx.get(
            f"{crm_service}/crm/v1/leads", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        return response.status_code

    assert leads() == 200

    tenants.patch_spec(name, suspended=True)
    status = tenants.wait_phase(name, "Suspended")

    assert identity_record(identity_server, name).json()["suspended"] is True
    assert eventually(lambda: login(identity_server, name, cpf).status_code == 403, what="a 403")
    # A token issued before the suspension is refused too: the CRM asks the registry.
    assert eventually(lambda: leads() == 403, what="the CRM to refuse the suspended tenant")
    assert tenants.condition(name, "Ready")["reason"] == "Suspended"
    assert status["modulesReady"] == "2/2"

    tenants.patch_spec(name, suspended=False)
    tenants.wait_phase(name, "Ready")
    assert eventually(lambda: login(identity_server, name, cpf).status_code == 200, what="a login")
    assert eventually(lambda: leads() == 200, what="the CRM to serve the tenant again")


def test_kubectl_get_tenants_shows_phase_plan_modules_and_ready(
    operator: RunningOperator, tenants: Tenants, kube: KubeCluster
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["crm", "finance"], plan="empresa"))
    tenants.wait_phase(name, "Ready")

    table = kube.kubectl("get", "tenants", name).stdout.splitlines()
    short = kube.kubectl("get", "tn", name, "-o", "wide").stdout.splitlines()

    assert table[0].split() == ["NAME", "PHASE", "PLAN", "MODULES", "READY", "AGE"]
    assert table[1].split()[:5] == [name, "Ready", "empresa", "3/3", "True"]
    assert short[0].split()[:7] == ["NAME", "PHASE", "PLAN", "MODULES", "READY", "SUSPENDED", "AGE"]
    assert short[1].split()[5] == "false"


def test_the_operator_exports_reconcile_metrics_and_tenants_by_phase(
    operator: RunningOperator, tenants: Tenants
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["finance"]))
    tenants.wait_phase(name, "Ready")

    metrics = httpx.get(operator.metrics_url, timeout=10).text

    assert 'mosaico_operator_reconciles_total{outcome="ok",trigger="create"}' in metrics
    assert "mosaico_operator_reconcile_duration_seconds_bucket" in metrics
    ready = next(
        line
        for line in metrics.splitlines()
        if line.startswith('mosaico_operator_tenants{phase="Ready"}')
    )
    assert float(ready.split()[-1]) >= 1
    assert httpx.get(operator.health_url, timeout=10).status_code == 200
