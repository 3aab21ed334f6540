"""An operator that starts with more Tenants waiting than it reconciles at once still
gets to every one of them.

At startup Kopf indexes every object before any handler runs; if the workers doing
that were bounded below the number of Tenants, the operator would wait forever.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client

from tests.fixtures.kube import KubeCluster
from tests.operator.conftest import launch_operator, stop_process
from tests.operator.objects import Tenants, tenant_name, tenant_object

pytestmark = pytest.mark.slow

WORKERS = 2
WAITING = 3 * WORKERS


def test_an_operator_starting_behind_many_tenants_reconciles_them_all(
    own_cluster: KubeCluster, identity_server: str, tmp_path: Path
) -> None:
    with own_cluster.api_client() as api:
        tenants = Tenants(own_cluster, client.CustomObjectsApi(api), client.CoreV1Api(api))
        names = [
            tenants.create(tenant_object(tenant_name("queued"), modules=["commerce"]))
            for _ in range(WAITING)
        ]

        replica = launch_operator(own_cluster, identity_server, tmp_path, workers=str(WORKERS))
        try:
            for name in names:
                tenants.wait_phase(name, "Ready")
        finally:
            stop_process(replica.process)
            print(f"--- {replica.log} ---\n{replica.log_tail(80)}")
