"""The operator against a real API server, a real PostgreSQL, the real identity service
and real onboarding endpoints; it runs as ``python -m mosaico_operator`` with the
service account and RBAC of ``manifests/operator-rbac.yaml``."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres
from mosaico_operator.models import GROUP, VERSION

from tests.fixtures.kube import REPO_ROOT, KubeCluster
from tests.fixtures.tenants import INTERNAL_TOKEN, valid_cnpj, valid_cpf

CRDS = REPO_ROOT / "manifests" / "crds"
RBAC = REPO_ROOT / "manifests" / "operator-rbac.yaml"
NAMESPACE = "mosaico"
ADMIN_PASSWORD = "admin-password-123"
STAND_IN_MODULES = ("crm", "commerce", "finance", "payments", "notifications")
#: A bound for a broken setup, not a measure of speed.
TIMEOUT = 120.0

T = TypeVar("T")
_names = itertools.count(1)


def eventually(check: Callable[[], T], *, what: str, timeout: float = TIMEOUT) -> T:
    """check()'s first truthy result; the operator acts asynchronously."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        time.sleep(0.25)
    return result


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
    kube.kubectl("apply", "--server-side", *[a for f in files for a in ("-f", str(f))])
    names = [yaml.safe_load(f.read_text())["metadata"]["name"] for f in files]
    kube.kubectl(
        "wait", "--for=condition=Established", "--timeout=60s", *[f"crd/{n}" for n in names]
    )
    return names


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
    """crm, commerce, finance, payments and notifications stand-ins; yields their URL."""
    port = free_port()
    env = {
        **os.environ,
        "MOSAICO_DATABASE_URL": postgres.app_url,
        "MOSAICO_INTERNAL_TOKEN": INTERNAL_TOKEN,
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
        wait_for_http(f"{base}/crm/healthz", timeout=60, alive=process)
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
        "MOSAICO_DATABASE_URL": postgres.app_url,
        "MOSAICO_INTERNAL_TOKEN": INTERNAL_TOKEN,
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
        wait_for_http(f"{base}/crm/healthz", timeout=60, alive=process)
        yield base
    finally:
        stop_process(process)


def module_object(name: str, url: str, *, secret: str = "postgres-admin") -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Module",
        "metadata": {"name": name},
        "spec": {
            "database": {
                "adminSecretRef": {"name": secret, "namespace": NAMESPACE, "key": "dsn"},
                "owner": "mosaico",
            },
            "serviceUrl": url,
            "onboardingPath": f"/{name}/internal/tenants/{{tenant}}/onboard",
            "version": "0.1.0",
        },
    }


def admin_secret(postgres: LocalPostgres) -> dict[str, Any]:
    """The Secret Modules point at: a superuser DSN of the test PostgreSQL."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "postgres-admin", "namespace": NAMESPACE},
        "stringData": {"dsn": postgres.dsn()},
    }


def plan_object(name: str, modules: list[str], **limits: int) -> dict[str, Any]:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Plan",
        "metadata": {"name": name},
        "spec": {
            "displayName": name.title(),
            "price": "199.90",
            "billingCycle": "monthly",
            "limits": limits,
            "modules": modules,
            "features": ["pix"],
        },
    }


def apply(kube: KubeCluster, *manifests: dict[str, Any]) -> None:
    kube.kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=mosaico-test", "-f", "-",
        input=yaml.safe_dump_all(manifests),
    )  # fmt: skip


@pytest.fixture(scope="session")
def platform(
    kube: KubeCluster,
    crds: list[str],
    postgres: LocalPostgres,
    identity_server: str,
    module_services: str,
    crm_service: str,
) -> dict[str, str]:
    """Namespace, admin Secret, Modules and Plans, as the charts would install them:
    identity and crm are the real services, the other modules stand-ins."""
    kube.kubectl("create", "namespace", NAMESPACE, check=False)
    secret = admin_secret(postgres)
    modules = [module_object("identity", identity_server), module_object("crm", crm_service)]
    modules += [module_object(m, module_services) for m in STAND_IN_MODULES if m != "crm"]
    plans = [
        plan_object("empresa", ["identity", *STAND_IN_MODULES], maxUsers=20, maxProducts=5000),
        plan_object("lojista", ["identity", "commerce", "finance"], maxUsers=3, maxProducts=500),
    ]
    apply(kube, secret, *modules, *plans)
    return {"identity": identity_server, "crm": crm_service, "modules": module_services}


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


@dataclass
class RunningOperator:
    process: subprocess.Popen[bytes]
    log: Path
    backup_dir: Path
    metrics_url: str
    health_url: str

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def operator(
    kube: KubeCluster,
    platform: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningOperator]:
    workdir = tmp_path_factory.mktemp("operator")
    kubeconfig = service_account_kubeconfig(kube, workdir / "operator.kubeconfig")
    metrics_port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(kubeconfig),
        "MOSAICO_IDENTITY_URL": platform["identity"],
        "MOSAICO_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "MOSAICO_OPERATOR_NAMESPACE": NAMESPACE,
        "MOSAICO_BACKUP_DIR": str(workdir / "backups"),
        "MOSAICO_DRIFT_INTERVAL_SECONDS": "3",
        "MOSAICO_RETRY_DELAY_SECONDS": "1",
        "MOSAICO_RETRY_MAX_DELAY_SECONDS": "4",
        "MOSAICO_DELETE_ATTEMPTS": "3",
        "MOSAICO_METRICS_PORT": str(metrics_port),
        "MOSAICO_HEALTH_PORT": str(health_port),
        "MOSAICO_HEALTH_HOST": "127.0.0.1",
        "MOSAICO_PEERING": "",
    }
    log = workdir / "operator.log"
    process = start_process([sys.executable, "-m", "mosaico_operator"], env, log)
    running = RunningOperator(
        process=process,
        log=log,
        backup_dir=workdir / "backups",
        metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
        health_url=f"http://127.0.0.1:{health_port}/healthz",
    )
    try:
        wait_for_http(running.health_url, timeout=60, alive=process)
        yield running
    except Exception:
        print(running.log_tail())
        raise
    finally:
        stop_process(process)
        print(f"--- operator log ({log}) ---\n{running.log_tail(200)}")


# --- tenants ---------------------------------------------------------------------------


def tenant_name(prefix: str = "t") -> str:
    return f"{prefix}{next(_names)}-{uuid.uuid4().hex[:6]}"


def tenant_object(
    name: str,
    *,
    modules: list[str] | None = None,
    plan: str = "empresa",
    password: bool = True,
    **spec: Any,
) -> dict[str, Any]:
    n = next(_names)
    first_admin: dict[str, Any] = {
        "fullName": "Maria Souza",
        "cpf": valid_cpf(5000 + n),
        "email": f"admin@{name}.com.br",
        "whatsapp": "+55 11 98765-4321",
    }
    if password:
        first_admin["passwordSecretRef"] = {
            "name": f"{name}-admin",
            "namespace": NAMESPACE,
            "key": "password",
        }
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Tenant",
        "metadata": {"name": name},
        "spec": {
            "displayName": f"{name.title()} Comércio LTDA",
            "cnpj": valid_cnpj(5000 + n),
            "plan": plan,
            "modules": modules if modules is not None else ["crm", "finance"],
            "firstAdmin": first_admin,
            **spec,
        },
    }


@dataclass
class Tenants:
    """Creates Tenants (and their admin password Secrets) and reads them back."""

    kube: KubeCluster
    objects: client.CustomObjectsApi
    core: client.CoreV1Api

    def create(self, body: dict[str, Any]) -> str:
        name = body["metadata"]["name"]
        ref = body["spec"]["firstAdmin"].get("passwordSecretRef")
        if ref:
            secret = client.V1Secret(
                metadata=client.V1ObjectMeta(name=ref["name"], namespace=NAMESPACE),
                string_data={"password": ADMIN_PASSWORD},
            )
            self.core.create_namespaced_secret(NAMESPACE, secret)
        self.objects.create_cluster_custom_object(GROUP, VERSION, "tenants", body)
        return name

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.objects.get_cluster_custom_object(GROUP, VERSION, "tenants", name))
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def status(self, name: str) -> dict[str, Any]:
        return dict((self.get(name) or {}).get("status") or {})

    def condition(self, name: str, type_: str) -> dict[str, Any]:
        return next((c for c in self.status(name).get("conditions", []) if c["type"] == type_), {})

    def patch_spec(self, name: str, **spec: Any) -> None:
        self.objects.patch_cluster_custom_object(GROUP, VERSION, "tenants", name, {"spec": spec})

    def delete(self, name: str) -> None:
        self.objects.delete_cluster_custom_object(GROUP, VERSION, "tenants", name)

    def wait_phase(self, name: str, phase: str, *, generation: bool = True) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            body = self.get(name) or {}
            status = body.get("status") or {}
            current = (
                not generation or status.get("observedGeneration") == body["metadata"]["generation"]
            )
            return status if status.get("phase") == phase and current else None

        return eventually(
            reached, what=f"tenant {name} to be {phase} (now: {self.status(name).get('phase')})"
        )

    def events(self, name: str) -> list[tuple[str, str, str]]:
        """(type, reason, message) of the Events about the tenant, oldest first."""
        found = self.core.list_event_for_all_namespaces(
            field_selector=f"involvedObject.name={name}"
        ).items
        return [
            (e.type, e.reason, e.message)
            for e in sorted(found, key=lambda e: e.metadata.creation_timestamp)
        ]

    def has_event(self, name: str, reason: str, contains: str = "") -> bool:
        return any(r == reason and contains in (m or "") for _, r, m in self.events(name))


@pytest.fixture(scope="session")
def tenants(kube: KubeCluster, objects: client.CustomObjectsApi, api: client.ApiClient) -> Tenants:
    return Tenants(kube, objects, client.CoreV1Api(api))


def database_exists(postgres: LocalPostgres, name: str) -> bool:
    import psycopg

    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            is not None
        )


def schema_version(postgres: LocalPostgres, database: str) -> str:
    """The Alembic revision a tenant database is at."""
    import psycopg

    with psycopg.connect(postgres.dsn(database)) as conn:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert row is not None
    return str(row[0])
