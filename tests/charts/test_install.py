"""The umbrella chart installs into a real API server (server-side validation, CRDs,
RBAC), and the operator's service account may do exactly its job.

The control plane has two fake nodes (kwok): pods are scheduled and reported Running
and Ready without running, so what Kubernetes derives from pods is real: Deployments
become Available, Services find their pods' ports, PodDisruptionBudgets count them."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from tests.charts.helm import CNPG, MODULE_CHARTS, THIRD_PARTY_CRDS, VALUES, Helm
from tests.fixtures.kube import REPO_ROOT, KubeCluster, control_plane, ensure_test_binaries
from tests.fixtures.kube_nodes import fake_nodes
from tests.fixtures.polling import eventually

pytestmark = pytest.mark.slow

NAMESPACE = "mosaico-platform"
RELEASE = "mosaico"
OPERATOR = f"system:serviceaccount:{NAMESPACE}:mosaico-operator"


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeCluster]:
    """A control plane of this module's own, in place of the session's: the umbrella's
    cluster-scoped objects (the Modules crm, finance...) would collide with those the
    operator tests register on the shared one."""
    with control_plane(ensure_test_binaries(), tmp_path_factory.mktemp("charts-kube")) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def kube_nodes(kube: KubeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    with fake_nodes(kube, tmp_path_factory.mktemp("charts-nodes")) as names:
        yield names


def apply_crds(kube: KubeCluster, *names: str) -> None:
    kube.apply_crds(*[THIRD_PARTY_CRDS / name for name in names])


def objects(
    kube: KubeCluster, kind: str, *, namespace: str | None = NAMESPACE
) -> list[dict[str, Any]]:
    scope = ["-n", namespace] if namespace else []
    items: list[dict[str, Any]] = json.loads(
        kube.kubectl("get", kind, *scope, "-o", "json").stdout
    )["items"]
    return items


@pytest.fixture(scope="module")
def installed(kube: KubeCluster, kube_nodes: list[str], helm: Helm) -> Iterator[KubeCluster]:
    """The platform with default values, on a cluster with Traefik's CRDs (the default
    controller's Middlewares) but no Prometheus Operator; helm waits until every
    Deployment is Available."""
    apply_crds(kube, "traefik.io_middlewares.yaml")
    kube.kubectl("create", "namespace", NAMESPACE)
    kube.helm(
        "install", RELEASE, helm.chart("mosaico"), "--namespace", NAMESPACE,
        "--wait", "--timeout", "120s",
    )  # fmt: skip
    yield kube
    kube.helm(
        "uninstall", RELEASE, "--namespace", NAMESPACE, "--wait", "--timeout", "120s", check=False
    )


def test_the_operator_chart_establishes_the_crds(installed: KubeCluster) -> None:
    crds = {c["metadata"]["name"]: c for c in objects(installed, "crd", namespace=None)}
    for name in ("tenants.mosaico.dev", "plans.mosaico.dev", "modules.mosaico.dev"):
        conditions = {c["type"]: c["status"] for c in crds[name]["status"]["conditions"]}
        assert conditions["Established"] == "True", name


def test_every_module_is_registered_and_served(installed: KubeCluster) -> None:
    modules = {
        m["metadata"]["name"]: m["spec"]
        for m in objects(installed, "modules.mosaico.dev", namespace=None)
    }
    assert set(modules) == set(MODULE_CHARTS)
    assert modules["crm"]["serviceUrl"] == f"http://crm.{NAMESPACE}.svc:8000"
    deployments = {d["metadata"]["name"] for d in objects(installed, "deployments")}
    assert deployments == {*MODULE_CHARTS, "mosaico-operator"}
    services = {s["metadata"]["name"]: s for s in objects(installed, "services")}
    assert {*MODULE_CHARTS, "mosaico-operator-metrics"} <= set(services)
    ingress = objects(installed, "ingresses")[0]
    assert ingress["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"]
    assert {m["metadata"]["name"] for m in objects(installed, "middlewares.traefik.io")} == {
        "mosaico-body-size", "mosaico-rate-limit"}  # fmt: skip


@pytest.fixture(scope="module")
def scaled(installed: KubeCluster) -> KubeCluster:
    """The modules once their autoscalers have raised them to their minimum (a fresh
    Deployment under an autoscaler starts at one replica)."""

    def at_minimum() -> bool:
        deployments = {d["metadata"]["name"]: d for d in objects(installed, "deployments")}
        autoscalers = objects(installed, "horizontalpodautoscalers")
        return bool(autoscalers) and all(
            deployments[a["spec"]["scaleTargetRef"]["name"]]["status"].get("availableReplicas")
            == a["spec"]["minReplicas"]
            for a in autoscalers
        )

    eventually(at_minimum, what="every module at its autoscaler's minReplicas")
    return installed


def test_every_deployment_is_available_with_its_pods_spread_over_the_nodes(
    scaled: KubeCluster, kube_nodes: list[str]
) -> None:
    autoscaled = {a["spec"]["scaleTargetRef"]["name"] for a in objects(scaled, "hpa")}
    assert autoscaled == set(MODULE_CHARTS)
    for deployment in objects(scaled, "deployments"):
        name, status = deployment["metadata"]["name"], deployment["status"]
        assert status.get("availableReplicas") == deployment["spec"]["replicas"], name
    pods = objects(scaled, "pods")
    for module in MODULE_CHARTS:
        mine = [p for p in pods if p["metadata"]["labels"]["app.kubernetes.io/name"] == module]
        assert len(mine) == 2, module
        # Two replicas on one node would both go with it.
        assert {p["spec"]["nodeName"] for p in mine} == set(kube_nodes), module


def test_every_service_reaches_ready_pods_on_a_declared_container_port(
    installed: KubeCluster,
) -> None:
    """A Service whose selector or named targetPort misses the pods would have no ready
    endpoint, or no port on it."""

    def misses() -> dict[str, str]:
        """What each Service lacks; the EndpointSlice controller may still be catching up."""
        slices = objects(installed, "endpointslices.discovery.k8s.io")
        found = {}
        for service in objects(installed, "services"):
            name = service["metadata"]["name"]
            mine = [
                s for s in slices if s["metadata"]["labels"]["kubernetes.io/service-name"] == name
            ]
            endpoints = [e for s in mine for e in s.get("endpoints") or []]
            ports = {p.get("name"): p.get("port") for s in mine for p in s.get("ports") or []}
            if not any(e["conditions"].get("ready") for e in endpoints):
                found[name] = "no ready endpoint"
            elif set(ports) != {p["name"] for p in service["spec"]["ports"]}:
                found[name] = f"ports {ports}"
            elif not all(isinstance(port, int) for port in ports.values()):
                found[name] = f"unresolved ports {ports}"
        return found

    eventually(lambda: not misses(), what="every Service to reach ready pods on its ports")


def test_every_disruption_budget_counts_its_modules_pods(scaled: KubeCluster) -> None:
    def counted() -> dict[str, dict[str, Any]]:
        budgets = {
            b["metadata"]["name"]: b.get("status", {})
            for b in objects(scaled, "poddisruptionbudgets")
        }
        settled = all(
            s.get("expectedPods") and s.get("currentHealthy") == s["expectedPods"]
            for s in budgets.values()
        )
        return budgets if settled else {}

    budgets = eventually(counted, what="the disruption controller to count the pods")
    assert set(budgets) == set(MODULE_CHARTS)
    for name, status in budgets.items():
        assert status["expectedPods"] == 2, name  # its selector finds the module's pods
        assert status["disruptionsAllowed"] == 1, name  # a node can be drained


def test_a_signing_key_passphrase_made_beforehand_is_used_and_left_alone(
    installed: KubeCluster, helm: Helm
) -> None:
    """helm's dry run against the server sees the Secret (lookup) and renders none."""
    installed.kubectl("create", "namespace", "own-passphrase")
    installed.kubectl(
        "create", "secret", "generic", "identity-signing-key", "-n", "own-passphrase",
        "--from-literal=passphrase=chosen-by-the-platform-team",
    )  # fmt: skip
    manifest = installed.helm(
        "template", "own", helm.chart("mosaico"), "--namespace", "own-passphrase",
        "--dry-run=server",
    ).stdout  # fmt: skip
    documents = [d for d in yaml.safe_load_all(manifest) if d]
    assert "identity-signing-key" not in {
        d["metadata"]["name"] for d in documents if d["kind"] == "Secret"
    }
    identity = next(
        d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "identity"
    )
    env = identity["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "MOSAICO_SIGNING_KEY_PASSPHRASE", "valueFrom": {
        "secretKeyRef": {"name": "identity-signing-key", "key": "passphrase"}}} in env  # fmt: skip


@pytest.fixture(scope="module")
def server_render(installed: KubeCluster, helm: Helm) -> list[dict[str, Any]]:
    """What helm renders when it sees the cluster (as helm install does) in a namespace
    where nothing exists yet: every generated Secret, with CloudNativePG on."""
    installed.kubectl("create", "namespace", "fresh")
    manifest = installed.helm(
        "template", "fresh", helm.chart("mosaico"), "--namespace", "fresh", "--dry-run=server",
        "--set", "global.database.provider=cnpg", "--api-versions", CNPG,
    ).stdout  # fmt: skip
    return [d for d in yaml.safe_load_all(manifest) if d]


def generated_secrets(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == "Secret"}


def test_a_render_that_sees_the_cluster_generates_every_secret_once_and_keeps_it(
    server_render: list[dict[str, Any]],
) -> None:
    secrets = generated_secrets(server_render)
    roles = [*MODULE_CHARTS, "mosaico_operator"]
    assert set(secrets) == {
        "identity-signing-key", "event-sealing-key", "notifications-provider-secrets",
        *(f"mosaico-postgres-{role.replace('_', '-')}" for role in roles),
    }  # fmt: skip
    for name, secret in secrets.items():
        # helm never deletes them: what was encrypted or granted with a value needs it.
        assert secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep", name
    for name, key in (("identity-signing-key", "passphrase"), ("event-sealing-key", "keys"),
                      ("notifications-provider-secrets", "key")):  # fmt: skip
        assert len(base64.b64decode(secrets[name]["data"][key])) == 48, name


def test_each_role_secret_is_what_cloudnativepg_reads_and_holds_the_roles_dsn(
    server_render: list[dict[str, Any]],
) -> None:
    secrets = generated_secrets(server_render)
    for role in (*MODULE_CHARTS, "mosaico_operator"):
        secret = secrets[f"mosaico-postgres-{role.replace('_', '-')}"]
        assert secret["type"] == "kubernetes.io/basic-auth"
        assert secret["metadata"]["labels"]["cnpg.io/reload"] == "true"
        data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
        assert data["username"] == role
        assert len(data["password"]) == 48
        dsn = conninfo_to_dict(data["uri"])
        assert (dsn["user"], dsn["password"]) == (role, data["password"])
        assert dsn["host"] == "mosaico-postgres-rw.fresh.svc"


def test_generated_secrets_are_used_as_they_are_once_they_exist(
    installed: KubeCluster, helm: Helm
) -> None:
    """The second render of a namespace (an upgrade) reads every value back."""
    installed.kubectl("create", "namespace", "twice")
    args = ("template", "twice", helm.chart("mosaico"), "--namespace", "twice",
            "--dry-run=server", "--set", "global.database.provider=cnpg", "--api-versions", CNPG)  # fmt: skip
    first = generated_secrets([d for d in yaml.safe_load_all(installed.helm(*args).stdout) if d])
    documents = [
        {**secret, "metadata": {**secret["metadata"], "annotations": {
            **secret["metadata"]["annotations"], "meta.helm.sh/release-name": "twice"}}}
        for secret in first.values()
    ]  # fmt: skip
    installed.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(documents))
    again = generated_secrets([d for d in yaml.safe_load_all(installed.helm(*args).stdout) if d])
    assert {n: s["data"] for n, s in again.items()} == {n: s["data"] for n, s in first.items()}


def test_without_the_prometheus_operator_no_monitoring_objects_are_made(
    installed: KubeCluster,
) -> None:
    manifest = installed.helm("get", "manifest", RELEASE, "--namespace", NAMESPACE).stdout
    kinds = {doc["kind"] for doc in yaml.safe_load_all(manifest) if doc}
    assert not kinds & {"ServiceMonitor", "PrometheusRule"}
    assert "ConfigMap" in kinds  # the dashboards need only Grafana's sidecar


def signing_key_passphrase(kube: KubeCluster) -> str:
    [secret] = [
        s for s in objects(kube, "secrets") if s["metadata"]["name"] == "identity-signing-key"
    ]
    return str(secret["data"]["passphrase"])


def can_i(
    kube: KubeCluster, user: str, verb: str, resource: str, namespace: str | None = None
) -> bool:
    """`kubectl auth can-i`; "tenants.mosaico.dev/status" names a subresource."""
    scope = ["--namespace", namespace] if namespace else []
    resource, _, subresource = resource.partition("/")
    if subresource:
        scope.append(f"--subresource={subresource}")
    result = kube.kubectl("auth", "can-i", verb, resource, f"--as={user}", *scope, check=False)
    return result.stdout.strip() == "yes"


ALLOWED = [
    ("watch", "tenants.mosaico.dev", None),
    ("list", "tenants.mosaico.dev", None),
    ("patch", "tenants.mosaico.dev", None),
    ("patch", "tenants.mosaico.dev/status", None),
    ("update", "tenants.mosaico.dev/finalizers", None),
    ("watch", "modules.mosaico.dev", None),
    ("get", "plans.mosaico.dev", None),
    ("list", "customresourcedefinitions.apiextensions.k8s.io", None),
    ("patch", "clusterkopfpeerings.kopf.dev", None),
    ("create", "events", NAMESPACE),
    ("create", "events.events.k8s.io", NAMESPACE),
    # Secrets are read through a watch (the operator's Secret index), never one by one.
    ("list", "secrets", NAMESPACE),
    ("watch", "secrets", NAMESPACE),
    ("create", "secrets", NAMESPACE),
    ("delete", "secrets", NAMESPACE),
]
DENIED = [
    ("create", "tenants.mosaico.dev", None),
    ("update", "tenants.mosaico.dev/status", None),
    ("patch", "modules.mosaico.dev/status", None),
    ("delete", "tenants.mosaico.dev", None),
    ("patch", "modules.mosaico.dev", None),
    ("delete", "customresourcedefinitions.apiextensions.k8s.io", None),
    ("get", "secrets", NAMESPACE),
    ("get", "secrets", "kube-system"),
    ("list", "secrets", "default"),
    ("create", "events", "default"),
    ("create", "deployments.apps", NAMESPACE),
    ("create", "pods", NAMESPACE),
    ("*", "*", None),
]


@pytest.mark.parametrize(("verb", "resource", "namespace"), ALLOWED)
def test_the_operator_may_do_its_job(
    installed: KubeCluster, verb: str, resource: str, namespace: str | None
) -> None:
    assert can_i(installed, OPERATOR, verb, resource, namespace)


@pytest.mark.parametrize(("verb", "resource", "namespace"), DENIED)
def test_the_operator_may_do_nothing_else(
    installed: KubeCluster, verb: str, resource: str, namespace: str | None
) -> None:
    assert not can_i(installed, OPERATOR, verb, resource, namespace)


@pytest.mark.parametrize("module", MODULE_CHARTS)
def test_a_module_may_not_touch_the_kubernetes_api(installed: KubeCluster, module: str) -> None:
    account = f"system:serviceaccount:{NAMESPACE}:{module}"
    for verb, resource in (("get", "secrets"), ("list", "pods"), ("get", "tenants.mosaico.dev")):
        assert not can_i(installed, account, verb, resource, NAMESPACE)


def test_every_option_but_cloudnativepg_installs_with_prometheus_and_gateway_api(
    installed: KubeCluster, helm: Helm
) -> None:
    """An upgrade once the cluster serves monitoring.coreos.com and the Gateway API: the
    ServiceMonitors, PrometheusRules and the HTTPRoute appear and pass the server's
    validation (CloudNativePG's CRD is not available offline, so the database stays external)."""
    apply_crds(installed, "monitoring.coreos.com_servicemonitors.yaml",
               "monitoring.coreos.com_prometheusrules.yaml",
               "gateway.networking.k8s.io_httproutes.yaml")  # fmt: skip
    installed.kubectl("create", "namespace", "databases")
    passphrase = signing_key_passphrase(installed)
    installed.helm(
        "upgrade", RELEASE, helm.chart("mosaico"), "--namespace", NAMESPACE,
        "--wait", "--timeout", "120s",
        "--values", str(VALUES / "full.yaml"),
        "--set", "global.database.provider=external", "--set", "crm.database.dedicatedCluster=false",
    )  # fmt: skip
    monitors = {
        m["metadata"]["name"] for m in objects(installed, "servicemonitors.monitoring.coreos.com")
    }
    assert monitors == {*MODULE_CHARTS, "mosaico-operator"}
    rules = {
        r["metadata"]["name"] for r in objects(installed, "prometheusrules.monitoring.coreos.com")
    }
    assert rules == {*MODULE_CHARTS, "mosaico-operator"}
    [route] = objects(installed, "httproutes.gateway.networking.k8s.io")
    assert route["spec"]["hostnames"] == ["mosaico.example.com.br"]
    # identity's signing keys open only with the passphrase they were stored with.
    assert signing_key_passphrase(installed) == passphrase
    assert can_i(installed, OPERATOR, "watch", "secrets", "databases")
    assert not can_i(installed, OPERATOR, "create", "secrets", "databases")


def documented_crd_upgrade() -> list[str]:
    """The command docs/kubernetes.md gives for bringing CRDs up to date before an upgrade."""
    docs = (REPO_ROOT / "docs" / "kubernetes.md").read_text()
    [line] = [line for line in docs.splitlines() if line.startswith("kubectl apply --server-side")]
    return line.split()[1:]


def test_the_documented_step_upgrades_the_crds_helm_installed(
    installed: KubeCluster, tmp_path: Path
) -> None:
    """Helm installed the CRDs from crds/ and leaves them alone on upgrade; the step in the
    docs brings a changed CRD in over the fields Helm owns."""
    args = documented_crd_upgrade()
    chart_crds = REPO_ROOT / args[args.index("-f") + 1]
    newer = tmp_path / "crds"
    shutil.copytree(chart_crds, newer)
    crd = yaml.safe_load((newer / "tenants.mosaico.dev.yaml").read_text())
    version = crd["spec"]["versions"][0]
    version["additionalPrinterColumns"].append(
        {"name": "Upgraded", "type": "string", "jsonPath": ".spec.displayName"}
    )
    (newer / "tenants.mosaico.dev.yaml").write_text(yaml.safe_dump(crd))
    args[args.index("-f") + 1] = str(newer)
    installed.kubectl(*args)
    [served] = [
        c for c in objects(installed, "crd", namespace=None)
        if c["metadata"]["name"] == "tenants.mosaico.dev"
    ]  # fmt: skip
    columns = {c["name"] for c in served["spec"]["versions"][0]["additionalPrinterColumns"]}
    assert "Upgraded" in columns
    installed.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(chart_crds))
