"""Builders and readers for the operator tests: Tenant, Plan and Module objects, the
running operator, and what to poll for."""

from __future__ import annotations

import itertools
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from mosaico_devstack.ports import wait_for_http
from mosaico_devstack.postgres import APP_ROLE, LocalPostgres
from mosaico_operator.models import GROUP, VERSION

from tests.fixtures.callers import in_cluster_url
from tests.fixtures.kube import REPO_ROOT, KubeCluster
from tests.fixtures.polling import eventually
from tests.fixtures.tenants import valid_cnpj, valid_cpf

CRDS = REPO_ROOT / "manifests" / "crds"
RBAC = REPO_ROOT / "manifests" / "operator-rbac.yaml"
NAMESPACE = "mosaico"
ADMIN_PASSWORD = "admin-password-123"
#: Modules the platform under test runs as their real services, each with its own role.
REAL_MODULES = ("identity", "crm", "finance")
#: Modules not built yet: stand-ins (``module_apps``) sharing the test modules' role.
STAND_IN_MODULES = ("commerce", "payments", "notifications")

_names = itertools.count(1)


def module_object(
    name: str, url: str, *, secret: str = "postgres-admin", owner: str = APP_ROLE
) -> dict[str, Any]:
    """The Module a chart renders for ``name``, whose process listens at local ``url``;
    ``owner`` is the module's PostgreSQL role (stand-ins share the test modules' one)."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Module",
        "metadata": {"name": name},
        "spec": {
            "database": {
                "adminSecretRef": {"name": secret, "namespace": NAMESPACE, "key": "dsn"},
                "owner": owner,
            },
            "serviceUrl": in_cluster_url(name, url),
            "onboardingPath": f"/{name}/internal/tenants/{{tenant}}/onboard",
            "version": "0.1.0",
        },
    }


def admin_secret(postgres: LocalPostgres) -> dict[str, Any]:
    """The Secret Modules point at: the operator's role, which may create databases and
    roles but is no superuser."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "postgres-admin", "namespace": NAMESPACE},
        "stringData": {"dsn": postgres.operator_dsn()},
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


def dry_run_write(objects: client.CustomObjectsApi, plural: str, body: dict[str, Any]) -> None:
    """Write ``body`` in a dry run, so the API server judges it and keeps nothing: a
    create, or a replace when the session's platform already has an object of that name
    (every known module has its Module). Raises the API server's refusal."""
    try:
        objects.create_cluster_custom_object(GROUP, VERSION, plural, body, dry_run="All")
    except ApiException as refused:
        if refused.status != 409:
            raise
        name = body["metadata"]["name"]
        current = objects.get_cluster_custom_object(GROUP, VERSION, plural, name)
        metadata = {**body["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]}
        replacement = {**body, "metadata": metadata}
        objects.replace_cluster_custom_object(
            GROUP, VERSION, plural, name, replacement, dry_run="All"
        )


def apply(kube: KubeCluster, *manifests: dict[str, Any]) -> None:
    kube.kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=mosaico-test", "-f", "-",
        input=yaml.safe_dump_all(manifests),
    )  # fmt: skip


@dataclass
class RunningOperator:
    process: subprocess.Popen[bytes]
    log: Path
    backup_dir: Path
    metrics_url: str
    health_url: str
    argv: list[str]
    env: dict[str, str]

    def kill_and_restart(self) -> None:
        """SIGKILL (no chance to finish anything), then start a new operator process."""
        self.process.kill()
        self.process.wait()
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        wait_for_http(self.health_url, timeout=180, alive=self.process)

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


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
