"""An operator killed half-way through provisioning picks up where it stopped."""

from __future__ import annotations

import httpx
import psycopg
import pytest
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.tenants import INTERNAL
from tests.operator.objects import (
    RunningOperator,
    Tenants,
    database_exists,
    eventually,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow


def _databases_of(postgres: LocalPostgres, tenant: str) -> list[str]:
    suffix = "_" + tenant.replace("-", "_")
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        rows = conn.execute("SELECT datname FROM pg_database ORDER BY datname").fetchall()
    return [name for (name,) in rows if name.endswith(suffix)]


def _roles(postgres: LocalPostgres) -> list[str]:
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        return [r for (r,) in conn.execute("SELECT rolname FROM pg_roles ORDER BY 1").fetchall()]


def test_an_operator_killed_mid_provisioning_converges_with_no_orphan_database_or_role(
    operator: RunningOperator,
    tenants: Tenants,
    postgres: LocalPostgres,
    platform: dict[str, str],
) -> None:
    name = tenant_name("slow")  # notifications' onboarding takes seconds for "slow..." tenants
    roles_before = _roles(postgres)
    tenants.create(tenant_object(name, modules=["crm", "notifications"]))
    eventually(
        lambda: database_exists(postgres, database_name("notifications", name)),
        what="provisioning to be under way",
    )
    assert tenants.status(name).get("phase") != "Ready"

    operator.kill_and_restart()

    status = tenants.wait_phase(name, "Ready")
    expected = sorted(database_name(m, name) for m in ("identity", "crm", "notifications"))
    assert _databases_of(postgres, name) == expected
    assert _roles(postgres) == roles_before
    assert {m: s["state"] for m, s in status["modules"].items()} == dict.fromkeys(
        ("identity", "crm", "notifications"), "Ready"
    )
    registry = httpx.get(
        f"{platform['identity']}/identity/internal/tenants/{name}", headers=INTERNAL
    )
    assert registry.status_code == 200
    assert set(registry.json()["modules"]) == {"identity", "crm", "notifications"}
