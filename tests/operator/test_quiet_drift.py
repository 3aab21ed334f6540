"""A drift tick over a Tenant where nothing changed skips what it can: no request to
identity, no Secret read from the API server, no status patch, no Event. What did
change is still put back: a spec change at once, a tenant edited in identity by hand
at the next full resync.

Each test runs its own operator (drift every second) on a control plane of its own, so
the counters read here move for this test's tenants alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client
from mosaico_operator.models import GROUP, VERSION
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.kube import KubeCluster
from tests.fixtures.tenants import INTERNAL
from tests.operator.conftest import PEERING, launch_operator, stop_process
from tests.operator.objects import (
    ADMIN_PASSWORD,
    NAMESPACE,
    RunningOperator,
    Tenants,
    eventually,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow

Launch = Callable[..., RunningOperator]


@pytest.fixture(scope="module")
def own_tenants(own_cluster: KubeCluster) -> Iterator[Tenants]:
    with own_cluster.api_client() as api:
        yield Tenants(own_cluster, client.CustomObjectsApi(api), client.CoreV1Api(api))


@pytest.fixture
def launch(
    own_cluster: KubeCluster, own_tenants: Tenants, identity_server: str, tmp_path: Path
) -> Iterator[Launch]:
    """Starts the operator with a drift tick every second and the given settings; at the
    end its tenants are deleted (by it) and it is stopped."""
    started: list[RunningOperator] = []

    def start(**settings: str) -> RunningOperator:
        running = launch_operator(
            own_cluster,
            identity_server,
            tmp_path / f"operator-{len(started)}",
            drift_interval_seconds="1",
            **settings,
        )
        started.append(running)
        return running

    try:
        yield start
    finally:
        for name in tenant_names(own_tenants):
            own_tenants.delete(name)
        eventually(lambda: not tenant_names(own_tenants), what="the test's tenants to be gone")
        for running in started:
            stop_process(running.process)
            print(f"--- {running.log} ---\n{running.log_tail(80)}")


def tenant_names(tenants: Tenants) -> list[str]:
    found = tenants.objects.list_cluster_custom_object(GROUP, VERSION, "tenants")
    return [item["metadata"]["name"] for item in found["items"]]


def samples(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` carrying ``labels`` in a /metrics text."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def operator_metric(operator: RunningOperator, name: str, **labels: str) -> float:
    return samples(httpx.get(operator.metrics_url, timeout=10).text, name, **labels)


def api_requests(kube: KubeCluster, resource: str, verb: str) -> float:
    """Requests the API server has answered for ``resource`` with ``verb``."""
    text = kube.kubectl("get", "--raw", "/metrics").stdout
    return samples(text, "apiserver_request_total", resource=resource, verb=verb)


def drift_ticks(operator: RunningOperator) -> float:
    return operator_metric(operator, "mosaico_operator_reconciles_total", trigger="drift")


def wait_for_ticks(operator: RunningOperator, count: int) -> None:
    """Until the drift timer has reconciled ``count`` more times (each test has one
    settled tenant at a time, so: that tenant's next ``count`` ticks)."""
    start = drift_ticks(operator)
    eventually(lambda: drift_ticks(operator) >= start + count, what=f"{count} drift ticks")


@dataclass(frozen=True)
class Footprint:
    """What a drift tick could leave behind."""

    identity_requests: float
    resource_version: str
    events: int
    secret_reads: float
    tenant_patches: float


def footprint(
    operator: RunningOperator, kube: KubeCluster, tenants: Tenants, name: str
) -> Footprint:
    body = tenants.get(name) or {}
    return Footprint(
        identity_requests=operator_metric(operator, "mosaico_operator_identity_requests_total"),
        resource_version=str(body["metadata"]["resourceVersion"]),
        events=len(tenants.events(name)),
        secret_reads=api_requests(kube, "secrets", "GET"),
        tenant_patches=api_requests(kube, "tenants", "PATCH"),
    )


def identity_record(identity_server: str, name: str) -> dict[str, Any]:
    response = httpx.get(
        f"{identity_server}/identity/internal/tenants/{name}", headers=INTERNAL, timeout=10
    )
    response.raise_for_status()
    return dict(response.json())


def test_a_ready_tenant_ticks_without_calling_identity_or_patching_itself(
    launch: Launch, own_cluster: KubeCluster, own_tenants: Tenants
) -> None:
    operator = launch()
    name = tenant_name("quiet")
    own_tenants.create(tenant_object(name, modules=["crm"]))
    own_tenants.wait_phase(name, "Ready")
    wait_for_ticks(operator, 1)  # past the create handler's own last write
    before = footprint(operator, own_cluster, own_tenants, name)

    wait_for_ticks(operator, 3)

    assert footprint(operator, own_cluster, own_tenants, name) == before
    assert operator_metric(operator, "mosaico_operator_identity_requests_total") > 0
    assert own_tenants.status(name)["identity"]["specHash"]


def test_a_spec_change_still_reaches_identity_and_the_ticks_after_it_are_quiet(
    launch: Launch, own_cluster: KubeCluster, own_tenants: Tenants, identity_server: str
) -> None:
    operator = launch()
    name = tenant_name("quiet")
    own_tenants.create(tenant_object(name, modules=["crm"]))
    own_tenants.wait_phase(name, "Ready")
    first_hash = own_tenants.status(name)["identity"]["specHash"]
    upserts = operator_metric(
        operator, "mosaico_operator_identity_requests_total", request="upsert_tenant"
    )

    own_tenants.patch_spec(name, displayName="Renomeada Comércio LTDA")

    eventually(
        lambda: identity_record(identity_server, name)["display_name"] == "Renomeada Comércio LTDA",
        what="identity to hold the new display name",
    )
    own_tenants.wait_phase(name, "Ready")
    assert own_tenants.status(name)["identity"]["specHash"] != first_hash
    assert (
        operator_metric(
            operator, "mosaico_operator_identity_requests_total", request="upsert_tenant"
        )
        > upserts
    )
    wait_for_ticks(operator, 1)
    before = footprint(operator, own_cluster, own_tenants, name)
    wait_for_ticks(operator, 2)
    assert footprint(operator, own_cluster, own_tenants, name) == before


def test_a_tenant_edited_in_identity_by_hand_is_put_back_at_the_resync(
    launch: Launch, own_tenants: Tenants, identity_server: str
) -> None:
    operator = launch(identity_resync_seconds="2")
    name = tenant_name("resync")
    body = tenant_object(name, modules=["crm"])
    own_tenants.create(body)
    own_tenants.wait_phase(name, "Ready")
    synced = own_tenants.status(name)["identity"]["syncedAt"]
    record = identity_record(identity_server, name)
    edited = {
        "display_name": "Mudada à mão LTDA",
        **{k: record[k] for k in ("cnpj", "plan", "limits", "modules", "suspended")},
    }
    httpx.put(
        f"{identity_server}/identity/internal/tenants/{name}",
        headers=INTERNAL,
        json=edited,
        timeout=10,
    ).raise_for_status()
    requests = operator_metric(operator, "mosaico_operator_identity_requests_total")

    eventually(
        lambda: (
            identity_record(identity_server, name)["display_name"] == body["spec"]["displayName"]
        ),
        what="the drift timer's resync to put the display name back",
    )
    assert operator_metric(operator, "mosaico_operator_identity_requests_total") > requests
    eventually(
        lambda: own_tenants.status(name)["identity"]["syncedAt"] != synced,
        what="status to say when identity was last sent the tenant",
    )


def test_a_password_secret_made_after_its_tenant_arrives_through_the_watch(
    launch: Launch, own_cluster: KubeCluster, own_tenants: Tenants
) -> None:
    launch()
    reads = api_requests(own_cluster, "secrets", "GET")
    name = tenant_name("late")
    body = tenant_object(name, modules=["crm"])
    own_tenants.objects.create_cluster_custom_object(GROUP, VERSION, "tenants", body)
    eventually(
        lambda: own_tenants.condition(name, "Ready").get("reason") == "SecretNotFound",
        what="the tenant to wait for its first admin's password Secret",
    )

    own_tenants.core.create_namespaced_secret(
        NAMESPACE,
        client.V1Secret(
            metadata=client.V1ObjectMeta(name=f"{name}-admin", namespace=NAMESPACE),
            string_data={"password": ADMIN_PASSWORD},
        ),
    )

    own_tenants.wait_phase(name, "Ready")
    assert api_requests(own_cluster, "secrets", "GET") == reads


def test_a_secret_outside_the_watched_namespaces_is_refused(
    launch: Launch, own_tenants: Tenants
) -> None:
    launch()
    name = tenant_name("elsewhere")
    body = tenant_object(name, modules=["crm"])
    body["spec"]["firstAdmin"]["passwordSecretRef"]["namespace"] = "default"
    own_tenants.objects.create_cluster_custom_object(GROUP, VERSION, "tenants", body)

    own_tenants.wait_phase(name, "Failed")
    ready = own_tenants.condition(name, "Ready")
    assert ready["reason"] == "SecretForbidden"
    assert NAMESPACE in ready["message"]


def test_watching_secrets_by_namespace_keeps_the_cluster_wide_peering(
    launch: Launch, own_cluster: KubeCluster
) -> None:
    launch(peering=PEERING)

    def peers() -> dict[str, Any]:
        with own_cluster.api_client() as api:
            found = client.CustomObjectsApi(api).get_cluster_custom_object(
                "kopf.dev", "v1", "clusterkopfpeerings", PEERING
            )
        return dict(found.get("status") or {})

    eventually(peers, what="the operator to announce itself in the ClusterKopfPeering")
