"""Deleting a Tenant: identity forgets it; its databases follow the deletion policy;
the object never stays in Terminating."""

from __future__ import annotations

import httpx
import pytest
from mosaico_devstack.postgres import LocalPostgres

from tests.fixtures.kube import KubeCluster
from tests.fixtures.tenants import INTERNAL
from tests.operator.objects import (
    NAMESPACE,
    RunningOperator,
    Tenants,
    admin_secret,
    apply,
    database_exists,
    eventually,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow


def databases_of(name: str, modules: list[str]) -> list[str]:
    return [f"{m}_{name.replace('-', '_')}" for m in ["identity", *modules]]


def test_deleting_with_retain_keeps_the_databases_and_says_where(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres, identity_server: str
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["crm"], deletionPolicy="Retain"))
    tenants.wait_phase(name, "Ready")

    tenants.delete(name)

    eventually(lambda: tenants.get(name) is None, what="the Tenant to be gone")
    for database in databases_of(name, ["crm"]):
        assert database_exists(postgres, database)
    retained = eventually(
        lambda: [m for _, r, m in tenants.events(name) if r == "DatabasesRetained"],
        what="a DatabasesRetained Event",
    )
    assert f"crm_{name.replace('-', '_')} on 127.0.0.1:{postgres.port}" in retained[0]
    response = httpx.get(f"{identity_server}/identity/internal/tenants/{name}", headers=INTERNAL)
    assert response.status_code == 404


def test_deleting_with_delete_dumps_then_drops_every_database(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["crm", "finance"], deletionPolicy="Delete"))
    tenants.wait_phase(name, "Ready")

    tenants.delete(name)

    eventually(lambda: tenants.get(name) is None, what="the Tenant to be gone")
    for database in databases_of(name, ["crm", "finance"]):
        assert not database_exists(postgres, database)
        dumps = list(operator.backup_dir.glob(f"{database}-*.dump"))
        assert len(dumps) == 1, dumps
        assert dumps[0].read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert tenants.has_event(name, "DatabaseDropped", f"crm_{name.replace('-', '_')}")
    assert tenants.has_event(name, "DatabaseDropped", "read back with pg_restore")


def test_a_backup_that_cannot_be_written_holds_the_deletion_until_it_can(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres, identity_server: str
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["crm"], deletionPolicy="Delete"))
    tenants.wait_phase(name, "Ready")
    accepted = tenants.condition(name, "DeletionPolicyAccepted")
    assert (accepted["status"], accepted["reason"]) == ("True", "DurableBackups")
    # The backup volume is gone (unmounted, say): no dump can be written.
    away = operator.backup_dir.with_name("backups-away")
    operator.backup_dir.rename(away)
    try:
        tenants.delete(name)

        waits = eventually(
            lambda: (
                (c := tenants.condition(name, "DatabasesBackedUp")).get("status") == "False" and c
            ),
            what="a DatabasesBackedUp=False condition",
        )
        assert waits["reason"] == "BackupFailed"
        assert "does not exist" in waits["message"]
        assert tenants.has_event(name, "BackupFailed", "deletion waits")
        assert tenants.status(name)["phase"] == "Deleting"
        # Nothing is gone while no dump exists: identity knows the tenant, data is there.
        response = httpx.get(
            f"{identity_server}/identity/internal/tenants/{name}", headers=INTERNAL
        )
        assert response.status_code == 200
        for database in databases_of(name, ["crm"]):
            assert database_exists(postgres, database)
    finally:
        away.rename(operator.backup_dir)

    eventually(lambda: tenants.get(name) is None, what="the deletion to finish once it can")
    for database in databases_of(name, ["crm"]):
        assert not database_exists(postgres, database)
        assert len(list(operator.backup_dir.glob(f"{database}-*.dump"))) == 1
    response = httpx.get(f"{identity_server}/identity/internal/tenants/{name}", headers=INTERNAL)
    assert response.status_code == 404


def test_a_tenant_whose_databases_cannot_be_reached_is_still_released(
    operator: RunningOperator,
    tenants: Tenants,
    kube: KubeCluster,
    postgres: LocalPostgres,
    platform: dict[str, str],
) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["notifications"], deletionPolicy="Delete"))
    tenants.wait_phase(name, "Ready")
    # The admin Secret disappears (a broken install): dropping is impossible.
    kube.kubectl("delete", "secret", "postgres-admin", "-n", NAMESPACE)
    try:
        tenants.delete(name)

        eventually(lambda: tenants.get(name) is None, what="the Tenant to be released")
    finally:
        apply(kube, admin_secret(postgres))
    eventually(
        lambda: tenants.has_event(name, "DeletionIncomplete"), what="a DeletionIncomplete Event"
    )
    assert tenants.has_event(name, "SecretNotFound", "deletion waits")
    assert database_exists(postgres, f"notifications_{name.replace('-', '_')}")


def test_a_tenant_that_never_became_valid_is_deleted_at_once(
    operator: RunningOperator, tenants: Tenants
) -> None:
    name = tenant_name()
    body = tenant_object(name, modules=["crm"])
    body["spec"]["cnpj"] = "11.222.333/0001-82"
    tenants.create(body)
    tenants.wait_phase(name, "Failed")

    tenants.delete(name)

    eventually(lambda: tenants.get(name) is None, what="the Tenant to be gone")
    # Nothing was created, so nothing is said to be kept.
    assert not tenants.has_event(name, "DatabasesRetained")
