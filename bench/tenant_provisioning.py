"""Operator throughput: 100 Tenants with 4 modules each, applied at once.

Measures, in one run on one PostgreSQL:

* floor    - creating and migrating the same 400 databases with no operator: the
             provisioning functions called directly (CREATE DATABASE, then each
             module's onboarding endpoint, which runs its migrations);
* operator - from `kubectl apply` of 100 Tenants until all report Ready, with the
             operator (a `python -m mosaico_operator` process) also registering each
             tenant in identity, inviting its first admin and writing status and Events.

Prints both, their ratio and the operator process's peak RSS.
Usage: uv run python bench/tenant_provisioning.py [--tenants 100]
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import APP_ROLE, LocalPostgres
from mosaico_operator.provisioning.databases import DatabaseGates, provision_module_database
from mosaico_operator.provisioning.onboarding import ModuleOnboarding, ModuleTarget
from mosaico_shared.auth import CallerCredentials

from tests.fixtures.callers import caller_tokens_dir, internal_auth_env, operator_env
from tests.fixtures.kube import KubeCluster, control_plane, ensure_test_binaries
from tests.fixtures.tenants import SIGNING_KEY_PASSPHRASE
from tests.fixtures.uv import uv_executable
from tests.operator.objects import (
    admin_secret,
    module_object,
    plan_object,
    tenant_object,
)

MODULES = ("identity", "crm", "finance", "commerce")  # 4 databases per tenant
STAND_INS = ("crm", "finance", "commerce")
#: identity runs as its own role; the stand-ins share the test modules' role.
OWNERS = {m: "identity" if m == "identity" else APP_ROLE for m in MODULES}


def operator_command() -> list[str]:
    """``python -m mosaico_operator`` in an environment holding what the operator's image
    holds and nothing more: ``uv sync --no-dev --package mosaico-operator``, as
    operator/Dockerfile runs it. The workspace's environment also has the dev tools, and
    some libraries load optional extras when they find them installed (httpx its
    command line, with rich and pygments): the pod would be charged memory it never has.
    """
    environment = REPO / ".cache" / "bench" / "operator-env"
    subprocess.run(
        [uv_executable(), "sync", "--frozen", "--no-dev", "--package", "mosaico-operator",
         "--quiet"],
        cwd=REPO, check=True, timeout=600,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(environment), "VIRTUAL_ENV": ""},
    )  # fmt: skip
    return [str(environment / "bin" / "python"), "-m", "mosaico_operator"]


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as out:
        return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


def uvicorn(app: str, env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = start(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        env, log,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


def kubectl(cluster: KubeCluster, *args: str, input: str | None = None) -> str:
    """kubectl against the bench's control plane; fails with what it printed."""
    done = subprocess.run(
        [str(cluster.bin_dir / "kubectl"), *args],
        input=input, capture_output=True, text=True, env=cluster.env, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def floor(postgres: LocalPostgres, urls: dict[str, str], count: int) -> float:
    """Create and migrate count x 4 databases directly, as fast as the services allow."""
    onboarding = ModuleOnboarding(
        credentials=CallerCredentials(caller_tokens_dir("operator")), timeout=300
    )
    targets = {
        m: ModuleTarget(
            module=m, admin_dsn=postgres.operator_dsn(), owner=OWNERS[m], service_url=urls[m]
        )
        for m in MODULES
    }

    # The operator's own limits: 8 admin connections to the server, and one onboarding at
    # a time per service (concurrent Alembic runs in one process are not safe).
    gates = DatabaseGates(8)

    async def one(tenant: str, module: str) -> None:
        await provision_module_database(
            postgres.operator_dsn(), module, tenant, OWNERS[module], gates=gates
        )
        await onboarding.onboard(targets[module], tenant)

    started = time.monotonic()
    await asyncio.gather(*(one(f"floor-{n}", m) for n in range(count) for m in MODULES))
    elapsed = time.monotonic() - started
    await onboarding.aclose()
    return elapsed


def ready_count(cluster: KubeCluster) -> int:
    phases = kubectl(cluster, "get", "tenants", "-o", "jsonpath={.items[*].status.phase}")
    return phases.split().count("Ready")


def main(tenants: int = 100, timeout: float = 1800) -> str:
    """Run the benchmark; returns its markdown section (the ``bench/run.py`` contract)."""
    args = argparse.Namespace(tenants=tenants, timeout=timeout)
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mosaico-bench-")))
        postgres = LocalPostgres(work / "pg", durable=False).start()
        stack.callback(postgres.stop)
        postgres.create_database("identity_platform", owner="identity")
        env = {
            **os.environ,
            "MOSAICO_DATABASE_URL": postgres.app_url,
            "MOSAICO_SIGNING_KEY_PASSPHRASE": SIGNING_KEY_PASSPHRASE,
            "MOSAICO_LOG_LEVEL": "WARNING",
        }
        processes: list[subprocess.Popen[bytes]] = []
        stack.callback(lambda: [p.terminate() for p in processes])
        identity, identity_url = uvicorn(
            "mosaico_identity.main:app",
            {
                **env,
                **internal_auth_env("identity"),
                "MOSAICO_DATABASE_URL": postgres.module_url("identity"),
            },
            work / "identity.log",
        )
        processes.append(identity)
        env["MOSAICO_IDENTITY_URL"] = identity_url
        urls = {"identity": identity_url}
        for module in STAND_INS:  # one process per module, as in a cluster
            process, urls[module] = uvicorn(
                "tests.operator.module_apps:app",
                {**env, **internal_auth_env(module)},
                work / f"{module}.log",
            )
            processes.append(process)
        for module, url in urls.items():
            wait_for_http(f"{url}/{module}/healthz", timeout=60)

        print(
            f"floor: creating and migrating {args.tenants * len(MODULES)} databases ...", flush=True
        )
        floor_seconds = asyncio.run(floor(postgres, urls, args.tenants))
        print(f"floor: {floor_seconds:.1f} s", flush=True)

        cluster = stack.enter_context(control_plane(ensure_test_binaries(), work / "kube"))
        cluster.apply_crds(*sorted((REPO / "manifests" / "crds").glob("*.yaml")))
        kubectl(cluster, "create", "namespace", "mosaico")
        platform: list[dict[str, Any]] = [
            admin_secret(postgres),
            plan_object("empresa", list(MODULES), maxUsers=20),
            *(module_object(m, urls[m], owner=OWNERS[m]) for m in MODULES),
        ]
        kubectl(cluster, "apply", "-f", "-", input=yaml.safe_dump_all(platform))

        health = free_port()
        operator_settings = {
            **cluster.env,
            **operator_env(identity_url),
            "MOSAICO_OPERATOR_NAMESPACE": "mosaico",
            "MOSAICO_BACKUP_DIR": str(work / "backups"),
            "MOSAICO_DRIFT_INTERVAL_SECONDS": "3600",
            "MOSAICO_METRICS_PORT": str(free_port()),
            "MOSAICO_HEALTH_PORT": str(health),
            "MOSAICO_HEALTH_HOST": "127.0.0.1",
            "MOSAICO_PEERING": "",
            "MOSAICO_LOG_LEVEL": "WARNING",
        }
        operator = start(operator_command(), operator_settings, work / "operator.log")
        processes.append(operator)
        wait_for_http(f"http://127.0.0.1:{health}/healthz", timeout=60, alive=operator)

        tenants = [
            tenant_object(f"bench-{n}", modules=list(STAND_INS), password=False)
            for n in range(args.tenants)
        ]
        print(f"operator: applying {args.tenants} Tenants ...", flush=True)
        started = time.monotonic()
        # JSON: PyYAML leaves a CPF like 08912345678 unquoted and kubectl reads a number.
        kubectl(
            cluster,
            "create",
            "-f",
            "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": tenants}),
        )
        while (ready := ready_count(cluster)) < args.tenants:
            if time.monotonic() - started > args.timeout:
                raise TimeoutError(
                    f"only {ready}/{args.tenants} Tenants Ready after {args.timeout} s; "
                    f"operator log: {(work / 'operator.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)
        operator_seconds = time.monotonic() - started
        rss = peak_rss_mib(operator.pid)

    databases = args.tenants * len(MODULES)
    return "\n".join(
        [
            f"### operator: {args.tenants} Tenants x {len(MODULES)} modules, applied at once",
            "",
            "| measure | value |",
            "|---|---|",
            f"| databases | {databases} ({args.tenants} tenants x {len(MODULES)} modules) |",
            f"| floor: create + migrate, no operator | {floor_seconds:.1f} s |",
            f"| operator: apply -> all Ready | {operator_seconds:.1f} s |",
            f"| ratio operator / floor | {operator_seconds / floor_seconds:.2f} |",
            f"| operator peak RSS | {rss:.1f} MiB |",
        ]
    )


if __name__ == "__main__":
    cli = argparse.ArgumentParser(description=__doc__)
    cli.add_argument("--tenants", type=int, default=100)
    cli.add_argument("--timeout", type=float, default=1800)
    options = cli.parse_args()
    print(main(options.tenants, options.timeout))
