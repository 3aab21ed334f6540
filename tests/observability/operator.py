"""The real operator (`python -m mosaico_operator`) for the dashboards' operator panels:
on the test API server, with the service account and RBAC the operator chart renders,
reconciling one tenant that becomes Ready and one that fails (unknown plan)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres

from tests.charts.helm import Helm
from tests.fixtures.callers import in_cluster_url, operator_env
from tests.fixtures.kube import REPO_ROOT, KubeCluster
from tests.fixtures.tenants import valid_cnpj, valid_cpf

# Its own namespace and plan, so nothing here meets the operator tests' objects.
NAMESPACE = "mosaico-observability"
PLAN = "observability"
RBAC_KINDS = {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}


@dataclass(frozen=True)
class RunningOperator:
    metrics_port: int
    log: Path
    tenants: tuple[str, ...]


def apply(kube: KubeCluster, *documents: dict[str, Any]) -> None:
    # JSON, not YAML: a CPF such as 07129168579 must stay a string.
    items = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(documents)})
    kube.kubectl("apply", "--server-side", "--force-conflicts", "--field-manager=mosaico-observability",
                 "-f", "-", input=items)  # fmt: skip


def install_crds_and_rbac(kube: KubeCluster, helm: Helm) -> None:
    """The project's CRDs and exactly the RBAC the operator chart renders."""
    crds = sorted((REPO_ROOT / "manifests" / "crds").glob("*.yaml"))
    kube.apply_crds(*crds)
    kube.kubectl("create", "namespace", NAMESPACE, check=False)
    rendered = helm.template("mosaico-operator", namespace=NAMESPACE, release="observability")
    apply(kube, *[o for o in rendered if o["kind"] in RBAC_KINDS])


def service_account_kubeconfig(kube: KubeCluster, path: Path) -> Path:
    token = kube.kubectl(
        "create", "token", "mosaico-operator", "-n", NAMESPACE, "--duration=2h"
    ).stdout.strip()
    cluster = yaml.safe_load(kube.kubeconfig.read_text())["clusters"][0]["cluster"]
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": "operator", "user": {"token": token}}],
        "contexts": [{"name": "operator", "context": {"cluster": "test", "user": "operator"}}],
        "current-context": "operator",
    }))  # fmt: skip
    return path


def platform_objects(postgres: LocalPostgres, identity_url: str) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "postgres-admin", "namespace": NAMESPACE},
         "stringData": {"dsn": postgres.operator_dsn()}},
        {"apiVersion": "mosaico.dev/v1alpha1", "kind": "Module", "metadata": {"name": "identity"},
         "spec": {"database": {"adminSecretRef": {"name": "postgres-admin", "namespace": NAMESPACE, "key": "dsn"},
                               "owner": "identity"},
                  "serviceUrl": in_cluster_url("identity", identity_url), "onboardingPath": "/identity/internal/tenants/{tenant}/onboard",
                  "version": "0.1.0"}},
        {"apiVersion": "mosaico.dev/v1alpha1", "kind": "Plan", "metadata": {"name": PLAN},
         "spec": {"displayName": "Observability", "price": "0.00", "billingCycle": "monthly",
                  "limits": {"maxUsers": 5}, "modules": ["identity"], "features": []}},
    ]  # fmt: skip


def tenant(name: str, seed: int, *, plan: str = PLAN) -> dict[str, Any]:
    return {
        "apiVersion": "mosaico.dev/v1alpha1", "kind": "Tenant", "metadata": {"name": name},
        "spec": {"displayName": f"{name.title()} LTDA", "cnpj": valid_cnpj(9000 + seed), "plan": plan,
                 "modules": ["identity"], "firstAdmin": {"fullName": "Ana Lima", "cpf": valid_cpf(9000 + seed),
                                               "email": f"ana@{name}.com.br"}},
    }  # fmt: skip


def phase(kube: KubeCluster, name: str) -> str:
    result = kube.kubectl("get", "tenant", name, "-o", "jsonpath={.status.phase}", check=False)
    return result.stdout.strip()


@contextlib.contextmanager
def running_operator(
    kube: KubeCluster, helm: Helm, postgres: LocalPostgres, identity_url: str, workdir: Path
) -> Iterator[RunningOperator]:
    """Starts the operator; yields once it is alive. Tenants are applied by the caller
    (apply_tenants) while Prometheus watches, then deleted on exit."""
    install_crds_and_rbac(kube, helm)
    apply(kube, *platform_objects(postgres, identity_url))
    metrics_port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(service_account_kubeconfig(kube, workdir / "operator.kubeconfig")),
        **operator_env(identity_url),
        "MOSAICO_OPERATOR_NAMESPACE": NAMESPACE,
        "MOSAICO_BACKUP_DIR": str(workdir / "backups"),
        "MOSAICO_METRICS_PORT": str(metrics_port),
        "MOSAICO_HEALTH_PORT": str(health_port),
        "MOSAICO_HEALTH_HOST": "127.0.0.1",
        "MOSAICO_PEERING": "",
        "MOSAICO_RETRY_DELAY_SECONDS": "1",
        "MOSAICO_RETRY_MAX_DELAY_SECONDS": "2",
    }
    log = workdir / "operator.log"
    names = (f"obs-ready-{uuid.uuid4().hex[:6]}", f"obs-failing-{uuid.uuid4().hex[:6]}")
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "mosaico_operator"], env=env,
                                   stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{health_port}/healthz", timeout=180, alive=process)
        yield RunningOperator(metrics_port=metrics_port, log=log, tenants=names)
    finally:
        for name in names:
            kube.kubectl(
                "delete",
                "tenant",
                name,
                "--ignore-not-found",
                "--wait=true",
                "--timeout=30s",
                check=False,
            )
            kube.kubectl(
                "patch",
                "tenant",
                name,
                "--type=merge",
                "-p",
                '{"metadata":{"finalizers":null}}',
                check=False,
            )
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def apply_tenants(kube: KubeCluster, operator: RunningOperator, *, timeout: float = 90) -> None:
    """One tenant the operator provisions (Ready) and one it cannot (PlanNotFound)."""
    ready, failing = operator.tenants
    apply(kube, tenant(ready, 1), tenant(failing, 2, plan="no-such-plan"))
    deadline = time.monotonic() + timeout
    while phase(kube, ready) != "Ready" or not phase(kube, failing):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"tenants not reconciled: {ready}={phase(kube, ready)!r} {failing}={phase(kube, failing)!r}\n"
                + operator.log.read_text(errors="replace")[-4000:]
            )
        time.sleep(0.5)
