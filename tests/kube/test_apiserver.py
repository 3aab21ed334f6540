"""The test control plane behaves like a real cluster in what the operator and the
charts rely on: CRDs, server-side apply, status subresources, controllers and RBAC."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from tests.fixtures.kube import REPO_ROOT, KubeCluster
from tests.fixtures.polling import eventually

pytestmark = pytest.mark.slow

PROJECT_CRDS = REPO_ROOT / "manifests" / "crds"
PINNED_KUBERNETES_VERSION = next(
    line.removeprefix("KUBERNETES_VERSION=").strip()
    for line in (REPO_ROOT / "tools" / "k8s-versions").read_text().splitlines()
    if line.startswith("KUBERNETES_VERSION=")
)

# A CRD of the tests' own, so these tests mean something before (and regardless of)
# the project's CRDs; its group cannot clash with the project's mosaico.dev.
GROUP, VERSION, PLURAL = "smoke.test.mosaico.dev", "v1", "gadgets"
GADGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
        "versions": [
            {
                "name": VERSION,
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {"type": "integer"},
                                    "colour": {"type": "string"},
                                },
                            },
                            "status": {
                                "type": "object",
                                "properties": {"phase": {"type": "string"}},
                            },
                        },
                    }
                },
            }
        ],
    },
}


def gadget(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Gadget",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


@dataclass(frozen=True)
class Gadgets:
    """The tests' own custom resource in one namespace, through the Python client."""

    objects: client.CustomObjectsApi
    namespace: str

    def create(self, name: str, **spec: Any) -> None:
        body = gadget(name, self.namespace, **spec)
        self.objects.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)

    def get(self, name: str) -> dict[str, Any]:
        found = self.objects.get_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, name
        )
        assert isinstance(found, dict)
        return found

    def patch_status(self, name: str, status: dict[str, Any]) -> None:
        self.objects.patch_namespaced_custom_object_status(
            GROUP, VERSION, self.namespace, PLURAL, name, {"status": status}
        )

    def delete(self, name: str) -> None:
        self.objects.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)


def owners(metadata: client.V1ObjectMeta | None) -> list[tuple[str, str]]:
    references = (metadata.owner_references if metadata else None) or []
    return [(reference.kind, reference.name) for reference in references]


def server_side_apply(
    kube: KubeCluster, manifest: dict[str, Any], *, field_manager: str = "mosaico-test"
) -> None:
    kube.kubectl(
        "apply",
        "--server-side",
        f"--field-manager={field_manager}",
        "--filename=-",
        input=yaml.safe_dump(manifest),
    )


@pytest.fixture
def api(kube: KubeCluster) -> Iterator[client.ApiClient]:
    with kube.api_client() as api_client:
        yield api_client


@pytest.fixture
def namespace(kube: KubeCluster) -> Iterator[str]:
    """A fresh namespace per test: tests share one control plane per worker."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    kube.kubectl("create", "namespace", name)
    yield name
    kube.kubectl("delete", "namespace", name, "--wait=false")


@pytest.fixture(scope="module")
def gadget_crd(kube: KubeCluster) -> dict[str, Any]:
    server_side_apply(kube, GADGET_CRD)
    kube.wait_established(GADGET_CRD["metadata"]["name"])
    return GADGET_CRD


@pytest.fixture
def gadgets(api: client.ApiClient, gadget_crd: dict[str, Any], namespace: str) -> Gadgets:
    return Gadgets(client.CustomObjectsApi(api), namespace)


def test_the_api_server_answers_readyz(kube: KubeCluster) -> None:
    assert kube.kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"


def test_the_api_server_reports_the_pinned_kubernetes_version(kube: KubeCluster) -> None:
    versions = json.loads(kube.kubectl("version", "--output=json").stdout)

    assert versions["serverVersion"]["gitVersion"] == PINNED_KUBERNETES_VERSION
    assert versions["clientVersion"]["gitVersion"] == PINNED_KUBERNETES_VERSION


def test_a_crd_is_established_and_a_custom_object_round_trips(
    kube: KubeCluster, gadget_crd: dict[str, Any], gadgets: Gadgets
) -> None:
    # The project's CRDs, whatever there are of them, must install and be served too.
    project_crd_files = sorted([*PROJECT_CRDS.glob("*.yaml"), *PROJECT_CRDS.glob("*.yml")])
    project_crd_names = [
        document["metadata"]["name"]
        for path in project_crd_files
        for document in yaml.safe_load_all(path.read_text())
        if document and document.get("kind") == "CustomResourceDefinition"
    ]
    if project_crd_files:
        file_args = [arg for path in project_crd_files for arg in ("-f", str(path))]
        kube.kubectl("apply", "--server-side", *file_args)
    kube.wait_established(gadget_crd["metadata"]["name"], *project_crd_names)

    gadgets.create("sprocket", size=3, colour="teal")
    stored = gadgets.get("sprocket")
    gadgets.delete("sprocket")

    assert stored["spec"] == {"size": 3, "colour": "teal"}
    with pytest.raises(ApiException) as missing:
        gadgets.get("sprocket")
    assert missing.value.status == 404


def test_server_side_apply_and_the_status_subresource_work(
    kube: KubeCluster, gadgets: Gadgets
) -> None:
    manifest = gadget("flywheel", gadgets.namespace, size=3)
    server_side_apply(kube, manifest)

    gadgets.patch_status("flywheel", {"phase": "Ready"})
    # Through the main resource, status is not the client's to write: it is ignored.
    server_side_apply(kube, {**manifest, "spec": {"size": 5}, "status": {"phase": "Broken"}})
    stored = gadgets.get("flywheel")

    assert stored["spec"] == {"size": 5}
    assert stored["status"] == {"phase": "Ready"}
    managers = {
        (entry["manager"], entry["operation"]) for entry in stored["metadata"]["managedFields"]
    }
    assert ("mosaico-test", "Apply") in managers
    assert ("mosaico-test", "Update") not in managers


def test_the_controller_manager_creates_replicasets_for_deployments(
    kube: KubeCluster, api: client.ApiClient, namespace: str
) -> None:
    kube.kubectl("create", "deployment", "web", "--image=registry.invalid/web:1", "-n", namespace)
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)

    replica_set = eventually(
        lambda: next(iter(apps.list_namespaced_replica_set(namespace).items), None),
        what="a ReplicaSet for the Deployment",
    )
    # Without nodes the pod never runs, but the ReplicaSet controller still creates it
    # (which also needs the `default` ServiceAccount the controller manager makes).
    pod = eventually(
        lambda: next(iter(core.list_namespaced_pod(namespace).items), None),
        what="a Pod for the ReplicaSet",
    )

    assert owners(replica_set.metadata) == [("Deployment", "web")]
    assert replica_set.metadata is not None
    assert owners(pod.metadata) == [("ReplicaSet", replica_set.metadata.name)]


def test_on_fake_nodes_a_deployment_rolls_out_and_its_service_finds_the_pods(
    kube: KubeCluster, kube_nodes: list[str], api: client.ApiClient, namespace: str
) -> None:
    kube.kubectl("create", "deployment", "web", "--image=registry.invalid/web:1",
                 "--replicas=3", "--port=8080", "-n", namespace)  # fmt: skip
    kube.kubectl("expose", "deployment", "web", "--port=80", "--target-port=8080", "-n", namespace)

    kube.kubectl("rollout", "status", "deployment/web", "-n", namespace, "--timeout=60s")

    pods = client.CoreV1Api(api).list_namespaced_pod(namespace).items
    assert {p.spec.node_name for p in pods} <= set(kube_nodes)
    assert all(p.status.phase == "Running" and p.status.pod_ip for p in pods)
    slices = eventually(
        lambda: [
            s
            for s in client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(namespace).items
            if s.endpoints and len(s.endpoints) == 3
        ],
        what="an EndpointSlice with the three pods",
    )
    assert {e.addresses[0] for e in slices[0].endpoints} == {p.status.pod_ip for p in pods}
    assert [port.port for port in slices[0].ports] == [8080]


def test_deleting_a_deployment_garbage_collects_its_replicasets(
    kube: KubeCluster, api: client.ApiClient, namespace: str
) -> None:
    kube.kubectl("create", "deployment", "web", "--image=registry.invalid/web:1", "-n", namespace)
    apps = client.AppsV1Api(api)
    eventually(
        lambda: apps.list_namespaced_replica_set(namespace).items,
        what="a ReplicaSet for the Deployment",
    )

    kube.kubectl("delete", "deployment", "web", "-n", namespace, "--cascade=background")

    eventually(
        lambda: not apps.list_namespaced_replica_set(namespace).items,
        what="the garbage collector to delete the ReplicaSet",
    )


def test_kubectl_auth_can_i_answers_for_a_service_account(
    kube: KubeCluster, namespace: str
) -> None:
    kube.kubectl("create", "serviceaccount", "reader", "-n", namespace)
    kube.kubectl(
        "create", "role", "pod-reader", "--verb=get,list,watch", "--resource=pods", "-n", namespace
    )
    kube.kubectl(
        "create",
        "rolebinding",
        "reader-reads-pods",
        "--role=pod-reader",
        f"--serviceaccount={namespace}:reader",
        "-n",
        namespace,
    )
    service_account = f"system:serviceaccount:{namespace}:reader"

    def can_i(verb: str, resource: str, *, in_namespace: str = namespace) -> str:
        answer = kube.kubectl(
            "auth",
            "can-i",
            verb,
            resource,
            f"--namespace={in_namespace}",
            f"--as={service_account}",
            check=False,
        )
        return answer.stdout.strip()

    # The RBAC authorizer reads bindings from a cache that is filled asynchronously.
    eventually(lambda: can_i("list", "pods") == "yes", what="the RoleBinding to take effect")

    assert can_i("get", "pods") == "yes"
    assert can_i("delete", "pods") == "no"
    assert can_i("list", "secrets") == "no"
    assert can_i("list", "pods", in_namespace="default") == "no"


def test_helm_installs_a_chart_that_sees_the_server_version(
    kube: KubeCluster, namespace: str, tmp_path: Path
) -> None:
    chart = tmp_path / "demo"
    (chart / "templates").mkdir(parents=True)
    # kubeVersion makes helm check the server's version before it installs anything.
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: demo\nversion: 0.1.0\nkubeVersion: '>=1.30.0-0'\n"
    )
    (chart / "templates" / "settings.yaml").write_text(
        "apiVersion: v1\n"
        "kind: ConfigMap\n"
        "metadata:\n"
        "  name: {{ .Release.Name }}-settings\n"
        "data:\n"
        "  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}\n"
    )

    kube.helm("install", "demo", str(chart), f"--namespace={namespace}", "--wait")

    settings = kube.kubectl(
        "get", "configmap", "demo-settings", f"--namespace={namespace}", "-o=json"
    )
    assert json.loads(settings.stdout)["data"] == {"kubeVersion": PINNED_KUBERNETES_VERSION}
    assert "demo" in kube.helm("list", f"--namespace={namespace}", "--short").stdout.split()
