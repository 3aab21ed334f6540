"""The operator at rest: 1,000 Tenants (identity only) all Ready, then a drift tick over
each of them every interval with nothing to repair. What does standing still cost?

Measured over one window (a minute; 20 s under ``--quick``, with 20 Tenants and a tick
every 5 s instead of every minute) and given per minute:

* kube-apiserver requests by verb and resource, from its ``apiserver_request_total``
  read before and after (watches left out: they are long-lived streams, not work per
  tick); the control plane's own controller manager is in the total too, so the
  operator's resources are also shown one by one;
* identity requests, from the operator's ``mosaico_operator_identity_requests_total``;
* PostgreSQL sessions opened, from ``pg_stat_database.sessions`` (every database of the
  server; the operator's own connections go to ``postgres``);
* drift ticks (``mosaico_operator_reconciles_total{trigger="drift"}``), to show the
  window saw them, and the operator process's RSS.

Run: ``uv run --group bench python bench/run.py operator_steady`` (``--quick`` for the
short one).
"""

# ruff: noqa: E402
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psycopg
import yaml
from prometheus_client.parser import text_string_to_metric_families

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from harness import CONFIG, Section, rss_mib
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres
from tenant_provisioning import kubectl, operator_command, ready_count, start, uvicorn

from tests.fixtures.callers import internal_auth_env, operator_env
from tests.fixtures.kube import KubeCluster, control_plane, ensure_test_binaries
from tests.fixtures.tenants import SIGNING_KEY_PASSPHRASE
from tests.operator.objects import admin_secret, module_object, plan_object, tenant_object

#: The resources the operator reads or writes; the rest of the API server's requests
#: come from the control plane itself (leases, the controller manager's loops).
OPERATOR_RESOURCES = (
    "tenants",
    "plans",
    "modules",
    "secrets",
    "events",
    "namespaces",
    "clusterkopfpeerings",
    "customresourcedefinitions",
)


def sizes() -> tuple[int, float, float]:
    """(Tenants, drift interval s, measured window s)."""
    return (20, 5.0, 20.0) if CONFIG.quick else (1000, 60.0, 60.0)


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def api_requests(cluster: KubeCluster) -> Counter[tuple[str, str]]:
    """(verb, resource) -> requests answered so far, watches and non-resource paths
    (``/metrics`` itself, ``/healthz``) left out."""
    text = kubectl(cluster, "get", "--raw", "/metrics")
    counts: Counter[tuple[str, str]] = Counter()
    for labels, value in samples(text, "apiserver_request_total"):
        verb, resource = labels.get("verb", ""), labels.get("resource", "")
        if verb in ("WATCH", "WATCHLIST") or not resource:
            continue
        counts[(verb, resource)] += int(value)
    return counts


def operator_counter(metrics_url: str, name: str, **labels: str) -> float:
    text = httpx.get(metrics_url, timeout=10).text
    return sum(
        value
        for found, value in samples(text, name)
        if all(found.get(k) == v for k, v in labels.items())
    )


def sessions(conn: psycopg.Connection[Any]) -> dict[str, int]:
    """Sessions ever opened per database (PostgreSQL 14+), read afresh."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        "SELECT coalesce(datname, '(shared)'), sessions FROM pg_stat_database"
    ).fetchall()
    return {str(name): int(count) for name, count in rows}


def per_minute(count: float, seconds: float) -> str:
    return f"{count * 60 / seconds:,.0f}"


def main() -> str:
    tenants, interval, window = sizes()
    section = Section(
        f"operator at rest: {tenants} Tenants Ready, drift every {interval:.0f} s",
        "Per minute while nothing changes: what the operator asks of the API server, "
        "identity and PostgreSQL.",
    )
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mosaico-bench-")))
        postgres = LocalPostgres(work / "pg", durable=False).start()
        stack.callback(postgres.stop)
        postgres.create_database("identity_platform", owner="identity")
        processes = []
        stack.callback(lambda: [p.terminate() for p in processes])
        identity, identity_url = uvicorn(
            "mosaico_identity.main:app",
            {
                **os.environ,
                **internal_auth_env("identity"),
                "MOSAICO_DATABASE_URL": postgres.module_url("identity"),
                "MOSAICO_SIGNING_KEY_PASSPHRASE": SIGNING_KEY_PASSPHRASE,
                "MOSAICO_LOG_LEVEL": "WARNING",
            },
            work / "identity.log",
        )
        processes.append(identity)
        wait_for_http(f"{identity_url}/identity/healthz", timeout=60, alive=identity)

        cluster = stack.enter_context(control_plane(ensure_test_binaries(), work / "kube"))
        cluster.apply_crds(*sorted((HERE.parent / "manifests" / "crds").glob("*.yaml")))
        kubectl(cluster, "create", "namespace", "mosaico")
        platform = [
            admin_secret(postgres),
            plan_object("lojista", ["identity"], maxUsers=3),
            module_object("identity", identity_url, owner="identity"),
        ]
        kubectl(cluster, "apply", "-f", "-", input=yaml.safe_dump_all(platform))

        health, metrics = free_port(), free_port()
        operator = start(
            operator_command(),
            {
                **cluster.env,
                **operator_env(identity_url),
                "MOSAICO_OPERATOR_NAMESPACE": "mosaico",
                "MOSAICO_BACKUP_DIR": str(work / "backups"),
                "MOSAICO_DRIFT_INTERVAL_SECONDS": str(interval),
                "MOSAICO_METRICS_PORT": str(metrics),
                "MOSAICO_HEALTH_PORT": str(health),
                "MOSAICO_HEALTH_HOST": "127.0.0.1",
                "MOSAICO_PEERING": "",
                "MOSAICO_LOG_LEVEL": "WARNING",
            },
            work / "operator.log",
        )
        processes.append(operator)
        wait_for_http(f"http://127.0.0.1:{health}/healthz", timeout=60, alive=operator)
        metrics_url = f"http://127.0.0.1:{metrics}/metrics"

        bodies = [
            tenant_object(f"steady-{n}", modules=["identity"], plan="lojista", password=False)
            for n in range(tenants)
        ]
        print(f"operator_steady: applying {tenants} Tenants ...", flush=True)
        started = time.monotonic()
        # JSON: PyYAML leaves a CPF like 08912345678 unquoted and kubectl reads a number.
        kubectl(
            cluster, "create", "-f", "-",
            input=json.dumps({"apiVersion": "v1", "kind": "List", "items": bodies}),
        )  # fmt: skip
        while (ready := ready_count(cluster)) < tenants:
            if time.monotonic() - started > 3600:
                raise TimeoutError(
                    f"only {ready}/{tenants} Tenants Ready; operator log: "
                    f"{(work / 'operator.log').read_text()[-3000:]}"
                )
            time.sleep(1)
        provisioned = time.monotonic() - started
        # Every Tenant's first tick comes one interval after its creation: let them all
        # pass once, so the window holds steady ticks only.
        time.sleep(interval)

        print(f"operator_steady: measuring {window:.0f} s at rest ...", flush=True)
        with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
            api_before = api_requests(cluster)
            identity_before = operator_counter(
                metrics_url, "mosaico_operator_identity_requests_total"
            )
            ticks_before = operator_counter(
                metrics_url, "mosaico_operator_reconciles_total", trigger="drift"
            )
            sessions_before = sessions(conn)
            measured_from = time.monotonic()
            time.sleep(window)
            seconds = time.monotonic() - measured_from
            api_after = api_requests(cluster)
            identity_after = operator_counter(
                metrics_url, "mosaico_operator_identity_requests_total"
            )
            ticks_after = operator_counter(
                metrics_url, "mosaico_operator_reconciles_total", trigger="drift"
            )
            sessions_after = sessions(conn)
        rss, peak = rss_mib(operator.pid)

    api = api_after - api_before
    by_verb: Counter[str] = Counter()
    for (verb, _), count in api.items():
        by_verb[verb] += count
    opened = {db: sessions_after.get(db, 0) - n for db, n in sessions_before.items()}
    rows = [
        "| measure (per minute at rest) | value |",
        "|---|---:|",
        f"| drift ticks | {per_minute(ticks_after - ticks_before, seconds)} |",
        f"| identity requests | {per_minute(identity_after - identity_before, seconds)} |",
        "| PostgreSQL sessions opened, all databases | "
        f"{per_minute(sum(opened.values()), seconds)} |",
        f"| of which to `postgres` (the operator's) | {per_minute(opened.get('postgres', 0), seconds)} |",
        f"| kube-apiserver requests, all clients, no watches | {per_minute(sum(api.values()), seconds)} |",
        *(
            f"| - {verb} (all resources) | {per_minute(count, seconds)} |"
            for verb, count in sorted(by_verb.items())
        ),
        *(
            f"| - {verb} {resource} | {per_minute(count, seconds)} |"
            for (verb, resource), count in sorted(api.items())
            if resource in OPERATOR_RESOURCES and count
        ),
        f"| operator RSS now / peak | {rss:.0f} / {peak:.0f} MiB |",
        "",
        f"{tenants} Tenants all Ready {provisioned:.0f} s after they were applied; "
        f"measured over {seconds:.0f} s, then scaled to a minute.",
    ]  # fmt: skip
    return section.render(*rows)


if __name__ == "__main__":
    CONFIG.command = "uv run --group bench python bench/operator_steady.py"
    print(main())
