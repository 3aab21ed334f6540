"""Two operator replicas with Kopf peering: one acts, the other stands by and takes over
when the active one dies.

Kopf pauses every replica that sees a peer of higher *or equal* priority, so two
replicas left at the default priority would both stand still; these tests fail if the
replicas stop differing or if a standby acts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.kube import KubeCluster
from tests.operator.conftest import PEERING, launch_operator, stop_process
from tests.operator.objects import (
    RunningOperator,
    Tenants,
    eventually,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow

#: Short, so that a standby takes over within seconds of the active replica's death.
LIFETIME_SECONDS = "5"


@pytest.fixture
def replicas(
    own_cluster: KubeCluster, identity_server: str, tmp_path: Path
) -> Iterator[list[RunningOperator]]:
    """Two replicas with default priorities, the second started after the first."""
    started: list[RunningOperator] = []
    try:
        for name in ("older", "newer"):
            started.append(
                launch_operator(
                    own_cluster,
                    identity_server,
                    tmp_path / name,
                    peering=PEERING,
                    peering_lifetime_seconds=LIFETIME_SECONDS,
                )
            )
        yield started
    finally:
        for replica in started:
            stop_process(replica.process)
            print(f"--- {replica.log} ---\n{replica.log_tail(80)}")


def peers(kube: KubeCluster) -> dict[str, Any]:
    """The peering object's status: one entry per live replica."""
    with kube.api_client() as api:
        body = client.CustomObjectsApi(api).get_cluster_custom_object(
            "kopf.dev", "v1", "clusterkopfpeerings", PEERING
        )
    return dict(body.get("status") or {})


def reconciles(replica: RunningOperator) -> float:
    text = httpx.get(replica.metrics_url).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "mosaico_operator_reconciles"
        for sample in family.samples
        if sample.name == "mosaico_operator_reconciles_total"
    )


def logged(replica: RunningOperator, words: str) -> bool:
    return words in replica.log.read_text(errors="replace")


def test_the_newest_replica_acts_while_the_other_stands_by(
    own_cluster: KubeCluster, replicas: list[RunningOperator]
) -> None:
    older, newer = replicas
    announced = eventually(
        lambda: len(peers(own_cluster)) == 2 and peers(own_cluster), what="two peers"
    )
    priorities = sorted(peer["priority"] for peer in announced.values())
    assert priorities[0] != priorities[1], "equal priorities would pause both replicas"
    eventually(lambda: logged(older, "Pausing operations"), what="the older replica to pause")

    with own_cluster.api_client() as api:
        tenants = Tenants(own_cluster, client.CustomObjectsApi(api), client.CoreV1Api(api))
        name = tenants.create(tenant_object(tenant_name("peer"), modules=["crm"]))
        tenants.wait_phase(name, "Ready")

    assert reconciles(newer) > 0
    assert reconciles(older) == 0
    assert not logged(newer, "Pausing operations")


def test_a_standby_takes_over_when_the_active_replica_dies(
    own_cluster: KubeCluster, replicas: list[RunningOperator]
) -> None:
    older, newer = replicas
    eventually(lambda: logged(older, "Pausing operations"), what="the older replica to pause")

    newer.process.kill()  # no goodbye in the peering object: its record has to expire
    newer.process.wait()

    with own_cluster.api_client() as api:
        tenants = Tenants(own_cluster, client.CustomObjectsApi(api), client.CoreV1Api(api))
        name = tenants.create(tenant_object(tenant_name("peer"), modules=["crm"]))
        tenants.wait_phase(name, "Ready")

    assert logged(older, "Resuming operations")
    assert reconciles(older) > 0
    assert len(peers(own_cluster)) == 1, "the dead replica's record is cleaned up"
