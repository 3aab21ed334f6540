"""Every object the umbrella renders is valid against the Kubernetes it targets:
`helm template ... | kubeconform -strict`, offline, with the defaults and with every option on.

Built-in kinds are checked against the test API server's own OpenAPI (the pinned
Kubernetes version); mosaico.dev kinds against manifests/crds; Traefik, Gateway API and
Prometheus Operator kinds against their CRDs (tests/charts/third_party_crds). Only
CloudNativePG's Cluster has no schema here (its CRD is not in the Go module proxy);
it alone goes through `-ignore-missing-schemas`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.charts.helm import (
    CHARTS,
    CNPG,
    MONITORING,
    THIRD_PARTY_CRDS,
    VALUES,
    Helm,
    project_crd_files,
)
from tests.charts.schemas import LOCATIONS, write_builtin_schemas, write_crd_schemas
from tests.fixtures.kube import REPO_ROOT, KubeCluster

KIND = REPO_ROOT / "manifests" / "kind"

pytestmark = pytest.mark.slow

UNCHECKED_GROUPS = {"postgresql.cnpg.io"}


def crd_files(helm: Helm) -> list[Path]:
    # The project's CRDs as the operator chart ships them.
    return [*sorted((helm.charts / "mosaico-operator" / "crds").glob("*.yaml")),
            *sorted(THIRD_PARTY_CRDS.glob("*.yaml"))]  # fmt: skip


@pytest.fixture(scope="module")
def schemas(kube: KubeCluster, helm: Helm, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("schemas")
    write_crd_schemas(crd_files(helm), directory)
    openapi = json.loads(kube.kubectl("get", "--raw", "/openapi/v2").stdout)
    builtin = {
        ("", "v1", kind) for kind in ("ConfigMap", "Secret", "Service", "ServiceAccount")
    } | {
        ("apps", "v1", "Deployment"),
        ("autoscaling", "v2", "HorizontalPodAutoscaler"),
        ("policy", "v1", "PodDisruptionBudget"),
        ("networking.k8s.io", "v1", "NetworkPolicy"),
        ("networking.k8s.io", "v1", "Ingress"),
        *(("rbac.authorization.k8s.io", "v1", kind)
          for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")),
    }  # fmt: skip
    write_builtin_schemas(openapi, directory, builtin)
    return directory


def kubeconform(
    binary: Path, schemas: Path, manifests: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    locations = [
        arg for location in LOCATIONS for arg in ("-schema-location", f"{schemas}/{location}")
    ]
    return subprocess.run(
        [str(binary), "-strict", "-summary", "-output", "json", *locations, *extra, "-"],
        input=manifests, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def split(manifests: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(documents kubeconform must check, documents without a schema, all objects)."""
    checked, unchecked, objects = [], [], []
    for document in yaml.safe_load_all(manifests):
        if not document:
            continue
        objects.append(document)
        group = document["apiVersion"].rpartition("/")[0]
        (unchecked if group in UNCHECKED_GROUPS else checked).append(yaml.safe_dump(document))
    return "---\n".join(checked), "---\n".join(unchecked), objects


CASES = {
    "defaults": {"values": [], "api_versions": []},
    "everything on": {"values": [VALUES / "full.yaml"], "api_versions": [MONITORING, CNPG]},
    "production example": {
        "values": [CHARTS / "mosaico" / "values-production.yaml"],
        "api_versions": [MONITORING, CNPG],
    },
    "kind dev loop": {
        "values": [KIND / "values-dev.yaml", KIND / "values-live.yaml"],
        "api_versions": [MONITORING, CNPG],
    },
}


@pytest.mark.parametrize("case", CASES)
def test_the_rendered_platform_is_valid_kubernetes(
    case: str, helm: Helm, kubeconform_binary: Path, schemas: Path
) -> None:
    manifests = helm.template_text(**CASES[case])  # type: ignore[arg-type]
    checked, unchecked, objects = split(manifests)
    result = kubeconform(kubeconform_binary, schemas, checked)
    report = json.loads(result.stdout)
    assert result.returncode == 0, json.dumps(report["resources"], indent=1)
    assert report["summary"]["valid"] == checked.count("\napiVersion:") + checked.startswith(
        "apiVersion:"
    )
    assert report["summary"]["skipped"] == 0
    if unchecked:
        result = kubeconform(kubeconform_binary, schemas, unchecked, "-ignore-missing-schemas")
        assert result.returncode == 0, result.stdout
    kinds = {o["kind"] for o in objects}
    assert {"Deployment", "Ingress", "Module", "NetworkPolicy"} <= kinds
    if case == "everything on":
        assert {"ServiceMonitor", "PrometheusRule", "HTTPRoute", "Middleware", "Cluster"} <= kinds


def test_kubeconform_catches_a_wrong_field(
    helm: Helm, kubeconform_binary: Path, schemas: Path
) -> None:
    """The schemas are strict: a misspelt field in a Deployment or a Module fails."""
    for kind, misspelt in (("Deployment", "replicaz"), ("Module", "servceUrl")):
        document = next(o for o in helm.template() if o["kind"] == kind)
        document["spec"][misspelt] = 1
        result = kubeconform(kubeconform_binary, schemas, yaml.safe_dump(document))
        assert result.returncode != 0, kind
        assert misspelt in result.stdout, result.stdout


def test_the_operator_chart_ships_every_project_crd(helm: Helm) -> None:
    shipped = sorted(p.name for p in (helm.charts / "mosaico-operator" / "crds").glob("*.yaml"))
    assert shipped == sorted(p.name for p in project_crd_files())
    kinds = {
        yaml.safe_load(path.read_text())["spec"]["names"]["kind"] for path in project_crd_files()
    }
    assert {"Tenant", "Plan", "Module", "ClusterKopfPeering"} <= kinds
