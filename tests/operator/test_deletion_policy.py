"""An operator whose backups would not outlive its pod refuses ``deletionPolicy: Delete``:
it says so on the Tenant, and a deleted tenant keeps its databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from kubernetes import client
from mosaico_devstack.postgres import LocalPostgres

from tests.fixtures.kube import KubeCluster
from tests.fixtures.tenants import INTERNAL
from tests.operator.conftest import launch_operator, stop_process
from tests.operator.objects import (
    RunningOperator,
    Tenants,
    database_exists,
    eventually,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ephemeral_backups(
    own_cluster: KubeCluster, identity_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningOperator]:
    """The operator as the chart runs it with backups in an emptyDir."""
    running = launch_operator(
        own_cluster,
        identity_server,
        tmp_path_factory.mktemp("ephemeral-backups"),
        backup_durable="false",
    )
    try:
        yield running
    finally:
        stop_process(running.process)
        print(f"--- {running.log} ---\n{running.log_tail(80)}")


@pytest.fixture(scope="module")
def own_tenants(own_cluster: KubeCluster) -> Iterator[Tenants]:
    with own_cluster.api_client() as api:
        yield Tenants(own_cluster, client.CustomObjectsApi(api), client.CoreV1Api(api))


def test_delete_is_refused_in_a_condition_when_backups_are_not_durable(
    ephemeral_backups: RunningOperator, own_tenants: Tenants
) -> None:
    name = tenant_name()
    own_tenants.create(tenant_object(name, modules=["crm"], deletionPolicy="Delete"))

    own_tenants.wait_phase(name, "Ready")

    refused = own_tenants.condition(name, "DeletionPolicyAccepted")
    assert (refused["status"], refused["reason"]) == ("False", "BackupNotDurable")
    assert "keeps its databases" in refused["message"]
    assert own_tenants.has_event(name, "BackupNotDurable")


def test_a_tenant_deleted_under_a_refused_delete_keeps_its_databases(
    ephemeral_backups: RunningOperator,
    own_tenants: Tenants,
    postgres: LocalPostgres,
    identity_server: str,
) -> None:
    name = tenant_name()
    own_tenants.create(tenant_object(name, modules=["crm"], deletionPolicy="Delete"))
    own_tenants.wait_phase(name, "Ready")

    own_tenants.delete(name)

    eventually(lambda: own_tenants.get(name) is None, what="the Tenant to be gone")
    slug = name.replace("-", "_")
    assert database_exists(postgres, f"identity_{slug}")
    assert database_exists(postgres, f"crm_{slug}")
    assert list(Path(ephemeral_backups.backup_dir).iterdir()) == []
    assert own_tenants.has_event(name, "DeletionPolicyRefused")
    assert own_tenants.has_event(name, "DatabasesRetained", f"crm_{slug}")
    response = httpx.get(f"{identity_server}/identity/internal/tenants/{name}", headers=INTERNAL)
    assert response.status_code == 404
