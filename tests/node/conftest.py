"""The platform on a real node: Traefik in front, the umbrella chart installed with the
images tools/images built and kind's values (manifests/kind/values-dev.yaml), the
sample Plans and Tenant applied as a user would, PostgreSQL and NATS running on the
host and reached by the pods through Services.

Everything here is installed once (module fixtures: keep the checks in test_platform.py,
one install for all of them) and stopped right after; its tests are in the xdist group
"node", so one worker runs them all.
Modules are read from the umbrella chart: a new module's pods join without code here.
"""

from __future__ import annotations

import base64
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from mosaico_devstack.nats import LocalNats
from mosaico_devstack.postgres import OPERATOR_ROLE, LocalPostgres, module_role

from tests.charts.conftest import helm, k8s_bin  # noqa: F401
from tests.charts.helm import CHARTS, Helm
from tests.fixtures.kube import BIN_DIR, REPO_ROOT, KubeCluster
from tests.fixtures.kube_node import HOST_ADDRESS, MANIFESTS, POD_SUBNET, RealNode, apply

NAMESPACE = "mosaico"  # as tools/kind-up installs it
RELEASE = "mosaico"
#: The Services the host's PostgreSQL and NATS get in the cluster.
HOST_NAMESPACE = "external"
SAMPLES = REPO_ROOT / "manifests" / "samples"
KIND_VALUES = REPO_ROOT / "manifests" / "kind" / "values-dev.yaml"
INSTALL_TIMEOUT = 600


def chart_modules() -> list[str]:
    """The modules the umbrella chart installs: its dependencies that are module charts."""
    umbrella = yaml.safe_load((CHARTS / "mosaico" / "Chart.yaml").read_text())
    return [
        dependency["name"]
        for dependency in umbrella["dependencies"]
        if (CHARTS / dependency["name"] / "templates" / "module.yaml").exists()
    ]


def kubectl_json(cluster: KubeCluster, *args: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(cluster.kubectl(*args, "-o", "json").stdout)
    return document


@pytest.fixture(scope="module")
def node(kube_node: RealNode) -> RealNode:
    return kube_node


@pytest.fixture(scope="module")
def host_postgres(node: RealNode) -> Iterator[LocalPostgres]:
    """PostgreSQL on the host, listening on the bridge's address too, where the pods'
    subnet may log in (with each role's password)."""
    root = Path(tempfile.mkdtemp(prefix="mosaico-node-pg-"))
    server = LocalPostgres(
        root / "data", durable=False, also_listen_on=(HOST_ADDRESS,), clients=(POD_SUBNET,)
    ).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def host_nats(node: RealNode) -> Iterator[LocalNats]:
    """NATS with JetStream on the bridge's address."""
    root = Path(tempfile.mkdtemp(prefix="mosaico-node-nats-"))
    server = LocalNats(root / "jetstream", host=HOST_ADDRESS).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def traefik(node: RealNode) -> str:
    """Traefik, with its CRDs; returns the URL of its web entry point (the NodePort on
    the node's address)."""
    files = BIN_DIR.parent / "traefik"
    node.cluster.apply_crds(files / "crds.yaml")
    [role] = [
        d
        for d in yaml.safe_load_all((files / "rbac.yaml").read_text())
        if d and d["kind"] == "ClusterRole"
    ]
    documents = [d for d in yaml.safe_load_all((MANIFESTS / "traefik.yaml").read_text()) if d]
    apply(node.cluster, [role, *documents])
    node.cluster.kubectl(
        "rollout", "status", "deployment/traefik", "-n", "traefik", "--timeout=180s", timeout=200
    )
    [service] = [d for d in documents if d["kind"] == "Service"]
    [web] = [p for p in service["spec"]["ports"] if p["name"] == "web"]
    return f"http://{HOST_ADDRESS}:{web['nodePort']}"


@dataclass(frozen=True)
class Platform:
    """The installed umbrella chart."""

    node: RealNode
    namespace: str
    modules: list[str]
    postgres: LocalPostgres
    nats: LocalNats

    @property
    def cluster(self) -> KubeCluster:
        return self.node.cluster

    def pods(self, namespace: str | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = kubectl_json(
            self.cluster, "get", "pods", "-n", namespace or self.namespace
        )["items"]
        return items

    def module_pods(self, module: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.pods()
            if p["metadata"]["labels"].get("app.kubernetes.io/name") == module
        ]


def platform_values(modules: list[str], postgres: str, nats: str) -> dict[str, Any]:
    """On top of kind's values: the images tools/images built (never pulled), each
    module's database role through the host's PostgreSQL, the host's NATS."""
    values: dict[str, Any] = {
        "global": {
            "database": {"provider": "external"},
            "nats": {"enabled": True, "url": f"nats://{nats}:4222"},
            "imageRegistry": "localhost",
            "imageTag": "test",
        },
        "operator": {"image": {"pullPolicy": "Never"}},
    }
    for module in modules:
        values[module] = {
            "image": {"pullPolicy": "Never"},
            "database": {"existingSecret": f"{module}-database", "owner": module_role(module)},
        }
    return values


def database_secrets(
    cluster: KubeCluster, modules: list[str], server: LocalPostgres, host: str
) -> None:
    """Each module's Secret: its own role (url) and the operator's (adminUrl), as
    docs/kubernetes.md lays out for an external server."""

    def dsn(role: str) -> str:
        return f"postgresql://{role}:{server.password(role)}@{host}:5432/postgres"

    secrets = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": f"{module}-database", "namespace": NAMESPACE},
            "stringData": {"url": dsn(module_role(module)), "adminUrl": dsn(OPERATOR_ROLE)},
        }
        for module in modules
    ]
    apply(cluster, secrets)


def extra_databases(server: LocalPostgres, modules: list[str]) -> None:
    """The databases a module needs besides its tenants' (identity_platform...)."""
    for module in modules:
        chart_values = yaml.safe_load((CHARTS / module / "values.yaml").read_text())
        for database in chart_values["database"]["extraDatabases"]:
            server.create_database(database, owner=module_role(module))


@pytest.fixture(scope="module")
def platform(
    node: RealNode,
    host_postgres: LocalPostgres,
    host_nats: LocalNats,
    traefik: str,
    helm: Helm,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> Platform:
    """`helm install --wait` of the umbrella chart: every Deployment's pods Ready."""
    cluster = node.cluster
    modules = chart_modules()
    postgres = node.host_service(HOST_NAMESPACE, "postgres", 5432, host_postgres.port)
    nats = node.host_service(HOST_NAMESPACE, "nats", 4222, host_nats.port)
    cluster.kubectl("create", "namespace", NAMESPACE)
    database_secrets(cluster, modules, host_postgres, postgres)
    extra_databases(host_postgres, modules)
    values = tmp_path_factory.mktemp("platform") / "values.yaml"
    values.write_text(yaml.safe_dump(platform_values(modules, postgres, nats)))
    result = cluster.helm(
        "install", RELEASE, helm.chart("mosaico"), "--namespace", NAMESPACE,
        "--values", str(KIND_VALUES), "--values", str(values),
        "--wait", f"--timeout={INSTALL_TIMEOUT}s", check=False, timeout=INSTALL_TIMEOUT + 60,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.fail(
            f"helm install failed:\n{result.stderr}\n{describe(cluster, NAMESPACE)}\n"
            f"{node.logs(tail=30)}",
            pytrace=False,
        )
    return Platform(node, NAMESPACE, modules, host_postgres, host_nats)


def describe(cluster: KubeCluster, namespace: str) -> str:
    """What the pods of ``namespace`` are doing and what their containers printed."""
    parts = [cluster.kubectl("get", "pods", "-n", namespace, "-o", "wide", check=False).stdout]
    parts.append(cluster.kubectl("get", "events", "-n", namespace, check=False).stdout[-6000:])
    pods = json.loads(
        cluster.kubectl("get", "pods", "-n", namespace, "-o", "json", check=False).stdout or "{}"
    ).get("items", [])
    for pod in pods:
        name = pod["metadata"]["name"]
        logs = cluster.kubectl(
            "logs", "-n", namespace, name, "--all-containers", "--tail=30", check=False
        )
        parts.append(f"--- {name} ---\n{logs.stdout}{logs.stderr}")
    return "\n".join(parts)


@dataclass(frozen=True)
class SampleTenant:
    name: str
    first_admin: dict[str, str]
    invite_token: str


@pytest.fixture(scope="module")
def sample_tenant(platform: Platform) -> SampleTenant:
    """`kubectl apply -f manifests/samples/`, and the operator in its pod makes the
    Tenant Ready; its first admin's invite is in a Secret of the operator's namespace."""
    cluster = platform.cluster
    cluster.kubectl("apply", "-f", str(SAMPLES))
    [tenant] = [
        d
        for d in yaml.safe_load_all((SAMPLES / "tenant.yaml").read_text())
        if d and d["kind"] == "Tenant"
    ]
    name = tenant["metadata"]["name"]
    waited = cluster.kubectl(
        "wait", f"tenant/{name}", "--for=jsonpath={.status.phase}=Ready", "--timeout=300s",
        check=False, timeout=320,
    )  # fmt: skip
    if waited.returncode != 0:
        status = cluster.kubectl("get", f"tenant/{name}", "-o", "yaml", check=False).stdout
        operator = cluster.kubectl(
            "logs", "-n", platform.namespace, "deployment/mosaico-operator", "--tail=80",
            check=False,
        ).stdout  # fmt: skip
        pytest.fail(f"Tenant {name} not Ready:\n{status}\n{operator}", pytrace=False)
    secret = kubectl_json(
        cluster, "get", "secret", f"tenant-{name}-first-admin-invite", "-n", platform.namespace
    )
    token = base64.b64decode(secret["data"]["invite-token"]).decode()
    return SampleTenant(name, tenant["spec"]["firstAdmin"], token)
