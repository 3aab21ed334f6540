"""The drift timer puts back what was changed by hand."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from mosaico_devstack.postgres import LocalPostgres

from tests.fixtures.kube import KubeCluster
from tests.fixtures.tenants import INTERNAL
from tests.operator.objects import (
    RunningOperator,
    Tenants,
    apply,
    database_exists,
    eventually,
    module_object,
    plan_object,
    schema_version,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow


def test_a_database_dropped_by_hand_comes_back_migrated(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["crm"]))
    tenants.wait_phase(name, "Ready")
    database = f"crm_{name.replace('-', '_')}"
    migrated_to = schema_version(postgres, database)

    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    assert not database_exists(postgres, database)

    eventually(lambda: database_exists(postgres, database), what="the database to come back")
    eventually(
        lambda: tenants.has_event(name, "DriftRepaired", database), what="a DriftRepaired Event"
    )
    assert schema_version(postgres, database) == migrated_to
    with psycopg.connect(postgres.dsn(database)) as conn:
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
    assert owner == ("crm",)  # the module's own role, not the operator's
    assert tenants.status(name)["phase"] == "Ready"


def test_a_new_module_version_is_rolled_out_to_its_tenants(
    operator: RunningOperator, tenants: Tenants, kube: KubeCluster, platform: dict[str, str]
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["commerce"]))
    status = tenants.wait_phase(name, "Ready")
    assert status["modules"]["commerce"]["moduleVersion"] == "0.1.0"

    upgraded = module_object("commerce", platform["modules"])
    upgraded["spec"]["version"] = "0.2.0"
    apply(kube, upgraded)

    eventually(
        lambda: tenants.status(name)["modules"]["commerce"].get("moduleVersion") == "0.2.0",
        what="the tenant to be onboarded again at commerce 0.2.0",
    )
    assert tenants.status(name)["modules"]["commerce"]["schemaVersion"] == "0001"


def test_a_change_to_a_plan_reaches_the_tenants_on_it(
    operator: RunningOperator, tenants: Tenants, kube: KubeCluster, identity_server: str
) -> None:
    plan = f"plan-{tenant_name()}"
    apply(kube, plan_object(plan, ["identity", "finance"], maxUsers=5))
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["finance"], plan=plan))
    tenants.wait_phase(name, "Ready")

    apply(kube, plan_object(plan, ["identity", "finance"], maxUsers=50, maxProducts=10))

    def limits() -> dict[str, object]:
        response = httpx.get(
            f"{identity_server}/identity/internal/tenants/{name}", headers=INTERNAL, timeout=10
        )
        return dict(response.json()["limits"])

    eventually(
        lambda: limits() == {"max_users": 50, "max_products": 10, "max_transactions": None},
        what="identity to hold the plan's new limits",
    )
    # It came through the Plan's own handler, which marks every Tenant on the plan,
    # not only through the drift timer.
    annotations = tenants.get(name)["metadata"].get("annotations", {})
    assert "mosaico.dev/plan-revision" in annotations
