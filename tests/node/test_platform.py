"""The umbrella chart on a real node, behind a real Traefik: pods run the built images
and pass their real probes, reach PostgreSQL and NATS, the operator in its pod
provisions the sample Tenant, and clients reach only the public paths through Traefik.

One install (tests/node/conftest.py) serves every test here."""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

import httpx
import pytest

from tests.events.streams import stream_messages
from tests.fixtures.images import Podman
from tests.fixtures.kube_node import CLUSTER_DNS
from tests.fixtures.kube_pki import KUBERNETES_SERVICE_IP
from tests.fixtures.polling import eventually
from tests.node.conftest import NAMESPACE, Platform, SampleTenant, describe

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("node")]

PASSWORD = "uma-senha-longa-123"


def ready(pod: dict[str, Any]) -> bool:
    conditions = {c["type"]: c["status"] for c in pod["status"].get("conditions", [])}
    return pod["status"].get("phase") == "Running" and conditions.get("Ready") == "True"


def test_every_pod_runs_its_built_image_and_is_ready_through_its_probes(
    platform: Platform,
) -> None:
    pods = [*platform.pods(), *platform.pods("traefik"), *platform.pods("kube-system")]
    not_ready = [p["metadata"]["name"] for p in pods if not ready(p)]
    assert not not_ready, describe(platform.cluster, NAMESPACE)
    deployments = {d["metadata"]["name"] for d in platform_objects(platform, "deployments")}
    assert deployments == {*platform.modules, "mosaico-operator"}
    podman = Podman()
    for pod in platform.pods():
        name = pod["metadata"]["name"]
        statuses = {s["name"]: s for s in pod["status"]["containerStatuses"]}
        for container in pod["spec"]["containers"]:
            status = statuses[container["name"]]
            # Exactly the image tools/images built (podman's image ID), never pulled.
            assert container["imagePullPolicy"] == "Never", name
            assert status["imageID"] == f"sha256:{podman.inspect(container['image'])['Id']}", name
            # Ready means the kubelet called the probes and they answered; no container
            # crashed or failed its liveness probe on the way.
            assert container.get("readinessProbe") or container.get("livenessProbe"), name
            assert status["restartCount"] == 0, (name, status.get("lastState"))
    for module in platform.modules:
        mine = platform.module_pods(module)
        assert mine, f"no pod of {module}"
        [container] = mine[0]["spec"]["containers"]
        assert container["image"] == f"localhost/mosaico/{module}:test"
        assert container["readinessProbe"]["httpGet"]["path"] == f"/{module}/readyz"
        assert container["securityContext"]["readOnlyRootFilesystem"] is True


def platform_objects(platform: Platform, kind: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads(
        platform.cluster.kubectl("get", kind, "-n", platform.namespace, "-o", "json").stdout
    )["items"]
    return items


def exec_python(platform: Platform, pod: str, code: str) -> str:
    result = platform.cluster.kubectl(
        "exec", "-n", platform.namespace, pod, "--", "python", "-c", code, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_pods_resolve_services_through_the_cluster_dns(platform: Platform) -> None:
    pod = platform.module_pods("identity")[0]["metadata"]["name"]
    resolv = exec_python(platform, pod, "print(open('/etc/resolv.conf').read())")
    assert f"nameserver {CLUSTER_DNS}" in resolv
    lookup = (
        "import socket; print(socket.gethostbyname('kubernetes.default.svc.cluster.local'),"
        " socket.gethostbyname('identity'))"
    )
    api, identity = exec_python(platform, pod, lookup).split()
    assert api == KUBERNETES_SERVICE_IP
    service = json.loads(
        platform.cluster.kubectl("get", "service", "identity", "-n", NAMESPACE, "-o", "json").stdout
    )
    assert identity == service["spec"]["clusterIP"]


def test_every_module_reaches_postgresql_and_nats_from_its_pods(platform: Platform) -> None:
    """Each pod's readiness checks its database server, and its metrics say whether its
    connection to NATS JetStream is up; the host reaches the pods on the bridge."""
    for module in platform.modules:
        for pod in platform.module_pods(module):
            address = pod["status"]["podIP"]
            port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
            base = f"http://{address}:{port}/{module}"
            readiness = httpx.get(f"{base}/readyz", timeout=10).json()
            assert readiness["checks"].get("database_server_ready") == "ok", (module, readiness)
            connected = functools.partial(nats_connected, base, module)
            eventually(connected, what=f"{module}'s pod {address} connected to NATS")


def nats_connected(base: str, module: str) -> bool:
    gauge = f'mosaico_events_nats_connected{{module="{module}"}}'
    lines = httpx.get(f"{base}/metrics", timeout=10).text.splitlines()
    return any(line.startswith(gauge) and float(line.split()[-1]) == 1.0 for line in lines)


def test_the_operator_in_its_pod_provisions_the_sample_tenant(
    platform: Platform, sample_tenant: SampleTenant
) -> None:
    tenant = json.loads(
        platform.cluster.kubectl("get", f"tenant/{sample_tenant.name}", "-o", "json").stdout
    )
    assert tenant["status"]["phase"] == "Ready"
    assert tenant["status"]["firstAdmin"] == "Invited"
    for module in tenant["spec"]["modules"]:
        assert tenant["status"]["modules"][module]["state"] == "Ready", module


@pytest.fixture(scope="module")
def admin_token(traefik: str, sample_tenant: SampleTenant) -> str:
    """The sample tenant's first admin accepts the invite and logs in, through Traefik."""
    admin = sample_tenant.first_admin
    accepted = httpx.post(
        f"{traefik}/identity/v1/invites/accept",
        json={"token": sample_tenant.invite_token, "full_name": admin["fullName"],
              "cpf": admin["cpf"], "password": PASSWORD},
        timeout=30,
    )  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    login = httpx.post(
        f"{traefik}/identity/v1/auth/login",
        json={"tenant": sample_tenant.name, "login": admin["email"], "password": PASSWORD},
        timeout=30,
    )
    assert login.status_code == 200, login.text
    return str(login.json()["access_token"])


def test_identitys_public_keys_answer_through_traefik(traefik: str, platform: Platform) -> None:
    reply = httpx.get(f"{traefik}/identity/.well-known/jwks.json", timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.json()["keys"]


def test_the_sample_admin_logs_in_and_lists_leads_through_traefik(
    traefik: str, admin_token: str
) -> None:
    leads = httpx.get(
        f"{traefik}/crm/v1/leads", headers={"Authorization": f"Bearer {admin_token}"}, timeout=30
    )
    assert leads.status_code == 200, leads.text
    anonymous = httpx.get(f"{traefik}/crm/v1/leads", timeout=30)
    assert anonymous.status_code == 401


def test_a_lead_made_through_traefik_reaches_jetstream(
    traefik: str, admin_token: str, platform: Platform, sample_tenant: SampleTenant
) -> None:
    created = httpx.post(
        f"{traefik}/crm/v1/leads",
        headers={"Authorization": f"Bearer {admin_token}"},
        json={"name": "Padaria Pão Quente", "estimated_value": "1500.00"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    lead = created.json()["id"]
    subject = f"mosaico.{sample_tenant.name}.crm.lead_created"

    def published() -> bool:
        messages = asyncio.run(stream_messages(platform.nats.url, subject))
        return any(str(envelope.payload.get("lead_id")) == lead for _, envelope in messages)

    eventually(published, what="crm's LeadCreated on the host's JetStream")


def test_internal_paths_do_not_answer_through_traefik(traefik: str, platform: Platform) -> None:
    """Each module serves /<module>/internal/openapi.json (to verified callers: 401 to
    anyone else), its metrics and its probes on its pod; Traefik routes none of them."""
    for module in platform.modules:
        pod = platform.module_pods(module)[0]
        port = pod["spec"]["containers"][0]["ports"][0]["containerPort"]
        direct = f"http://{pod['status']['podIP']}:{port}"
        for path in (f"/{module}/internal/openapi.json", f"/{module}/metrics",
                     f"/{module}/readyz"):  # fmt: skip
            served = httpx.get(f"{direct}{path}", timeout=10).status_code
            assert served in (200, 401), (module, path, served)
            through = httpx.get(f"{traefik}{path}", timeout=30)
            assert through.status_code == 404, (module, path, through.status_code)
        public = httpx.get(f"{traefik}/{module}/openapi.json", timeout=30)
        assert public.status_code == 200, (module, public.status_code)
