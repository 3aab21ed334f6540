"""The operator against a real API server, a real PostgreSQL, the real identity, crm
and finance services and real onboarding endpoints; it runs as ``python -m mosaico_operator`` with the
service account and RBAC of ``manifests/operator-rbac.yaml``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from mosaico_devstack.nats import LocalNats
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres

from tests.fixtures.callers import internal_auth_env, operator_env
from tests.fixtures.kube import KubeCluster, control_plane, ensure_test_binaries
from tests.operator.objects import (
    CRDS,
    NAMESPACE,
    RBAC,
    REAL_MODULES,
    STAND_IN_MODULES,
    RunningOperator,
    Tenants,
    admin_secret,
    apply,
    module_object,
    plan_object,
)


def start_process(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def crds(kube: KubeCluster) -> list[str]:
    files = sorted(CRDS.glob("*.yaml"))
    return kube.apply_crds(*files)


@pytest.fixture(scope="session")
def api(kube: KubeCluster) -> Iterator[client.ApiClient]:
    with kube.api_client() as api_client:
        yield api_client


@pytest.fixture(scope="session")
def objects(api: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api)


@pytest.fixture(scope="session")
def module_services(
    postgres: LocalPostgres, identity_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Stand-ins for the modules not built yet (and for crm, where no Kubernetes is
    involved); yields their URL."""
    port = free_port()
    env = {
        **os.environ,
        "MOSAICO_DATABASE_URL": postgres.app_url,
        **internal_auth_env("crm"),
        "MOSAICO_IDENTITY_URL": identity_server,
    }
    log = tmp_path_factory.mktemp("modules") / "modules.log"
    process = start_process(
        [sys.executable, "-m", "uvicorn", "tests.operator.module_apps:app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env, log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/crm/healthz", timeout=180, alive=process)
        yield base
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def crm_service(
    postgres: LocalPostgres, identity_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real CRM service (its migrations, its seeded pipeline, its 403 when suspended)."""
    port = free_port()
    env = {
        **os.environ,
        "MOSAICO_DATABASE_URL": postgres.module_url("crm"),
        **internal_auth_env("crm"),
        "MOSAICO_IDENTITY_URL": identity_server,
        "MOSAICO_TENANT_STATUS_TTL_SECONDS": "0.2",
    }
    log = tmp_path_factory.mktemp("crm") / "crm.log"
    process = start_process(
        [sys.executable, "-m", "uvicorn", "mosaico_crm.main:app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env, log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/crm/healthz", timeout=180, alive=process)
        yield base
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def finance_service(
    postgres: LocalPostgres,
    identity_server: str,
    nats_server: LocalNats,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The real finance service: its own role, its migrations, its default categories
    seeded at onboarding, its events on the session's NATS."""
    port = free_port()
    env = {
        **os.environ,
        "MOSAICO_DATABASE_URL": postgres.module_url("finance"),
        **internal_auth_env("finance"),
        "MOSAICO_IDENTITY_URL": identity_server,
        "MOSAICO_NATS_URL": nats_server.url,
        "MOSAICO_TENANT_STATUS_TTL_SECONDS": "0.2",
    }
    log = tmp_path_factory.mktemp("finance") / "finance.log"
    process = start_process(
        [sys.executable, "-m", "uvicorn", "mosaico_finance.main:app",
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        env, log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/finance/healthz", timeout=180, alive=process)
        yield base
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def platform(
    kube: KubeCluster,
    crds: list[str],
    postgres: LocalPostgres,
    identity_server: str,
    module_services: str,
    crm_service: str,
    finance_service: str,
) -> dict[str, str]:
    """identity, crm and finance are the real services, the other modules stand-ins."""
    urls = {
        "identity": identity_server,
        "crm": crm_service,
        "finance": finance_service,
        "modules": module_services,
    }
    install_platform(kube, postgres, urls)
    return urls


#: The ClusterKopfPeering the operator chart creates, and the name replicas peer under.
PEERING = "mosaico-operator"


@pytest.fixture(scope="module")
def own_cluster(
    tmp_path_factory: pytest.TempPathFactory,
    postgres: LocalPostgres,
    identity_server: str,
    crm_service: str,
    finance_service: str,
    module_services: str,
) -> Iterator[KubeCluster]:
    """A control plane for one test module, with the platform installed (and the peering
    object, as the chart makes it): operators started here see Tenants created here and
    nothing else, and the session's operator never sees these."""
    with control_plane(ensure_test_binaries(), tmp_path_factory.mktemp("own-kube")) as kube:
        kube.apply_crds(*sorted(CRDS.glob("*.yaml")))
        urls = {
            "identity": identity_server,
            "crm": crm_service,
            "finance": finance_service,
            "modules": module_services,
        }
        install_platform(kube, postgres, urls)
        peering = {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering"}
        apply(kube, {**peering, "metadata": {"name": PEERING}})
        yield kube


def install_platform(kube: KubeCluster, postgres: LocalPostgres, urls: dict[str, str]) -> None:
    """Namespace, admin Secret, Modules and Plans, as the charts would install them."""
    kube.kubectl("create", "namespace", NAMESPACE, check=False)
    secret = admin_secret(postgres)
    modules = [module_object(m, urls[m], owner=m) for m in REAL_MODULES]
    modules += [module_object(m, urls["modules"]) for m in STAND_IN_MODULES]
    plans = [
        plan_object("empresa", [*REAL_MODULES, *STAND_IN_MODULES], maxUsers=20, maxProducts=5000),
        plan_object("lojista", ["identity", "commerce", "finance"], maxUsers=3, maxProducts=500),
    ]
    apply(kube, secret, *modules, *plans)


def service_account_kubeconfig(kube: KubeCluster, path: Path) -> Path:
    """A kubeconfig acting as the operator's service account (token auth)."""
    kube.kubectl("apply", "-f", str(RBAC))
    token = kube.kubectl(
        "create", "token", "mosaico-operator", "-n", NAMESPACE, "--duration=6h"
    ).stdout.strip()
    admin = yaml.safe_load(kube.kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "test", "cluster": cluster}],
                "users": [{"name": "operator", "user": {"token": token}}],
                "contexts": [
                    {
                        "name": "operator",
                        "context": {"cluster": "test", "user": "operator", "namespace": NAMESPACE},
                    }
                ],
                "current-context": "operator",
            }
        )
    )
    return path


def launch_operator(
    kube: KubeCluster, identity_url: str, workdir: Path, **settings: str
) -> RunningOperator:
    """``python -m mosaico_operator`` as the operator's service account, healthy.

    ``settings`` are ``MOSAICO_*`` variables on top of quick test timings (standalone,
    drift every 3 s, retries after 1 s) and a durable backup folder."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "backups").mkdir(exist_ok=True)
    kubeconfig = service_account_kubeconfig(kube, workdir / "operator.kubeconfig")
    metrics_port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        **operator_env(identity_url),
        "MOSAICO_OPERATOR_NAMESPACE": NAMESPACE,
        "MOSAICO_BACKUP_DIR": str(workdir / "backups"),
        # A folder of this machine outlives the operator process: Delete is honoured.
        "MOSAICO_BACKUP_DURABLE": "true",
        "MOSAICO_DRIFT_INTERVAL_SECONDS": "3",
        "MOSAICO_RETRY_DELAY_SECONDS": "1",
        "MOSAICO_RETRY_MAX_DELAY_SECONDS": "4",
        "MOSAICO_DELETE_ATTEMPTS": "3",
        "MOSAICO_METRICS_PORT": str(metrics_port),
        "MOSAICO_HEALTH_PORT": str(health_port),
        "MOSAICO_HEALTH_HOST": "127.0.0.1",
        "MOSAICO_PEERING": "",
        **{f"MOSAICO_{key.upper()}": value for key, value in settings.items()},
    }
    log = workdir / "operator.log"
    argv = [sys.executable, "-m", "mosaico_operator"]
    running = RunningOperator(
        process=start_process(argv, env, log),
        log=log,
        backup_dir=workdir / "backups",
        metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
        health_url=f"http://127.0.0.1:{health_port}/healthz",
        argv=argv,
        env=env,
    )
    try:
        wait_for_http(running.health_url, timeout=180, alive=running.process)
    except Exception:
        stop_process(running.process)
        print(running.log_tail())
        raise
    return running


@pytest.fixture(scope="session")
def operator(
    kube: KubeCluster,
    platform: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningOperator]:
    running = launch_operator(kube, platform["identity"], tmp_path_factory.mktemp("operator"))
    try:
        yield running
    finally:
        stop_process(running.process)
        print(f"--- operator log ({running.log}) ---\n{running.log_tail(200)}")


@pytest.fixture(scope="session")
def tenants(kube: KubeCluster, objects: client.CustomObjectsApi, api: client.ApiClient) -> Tenants:
    return Tenants(kube, objects, client.CoreV1Api(api))
