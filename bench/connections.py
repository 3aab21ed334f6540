"""PostgreSQL connections one crm pod holds while serving 1,000 tenants round-robin.

A throwaway PostgreSQL, identity and crm run as real uvicorn processes with the default
connection budget (``MOSAICO_DB_CONNECTION_BUDGET``, 20). One tenant is provisioned
through the internal APIs like the operator does and gets 50 leads; its crm database is
then copied (``CREATE DATABASE ... TEMPLATE``) into 999 more tenants, each registered
with identity, each with its own access token signed by identity's key. wrk sends
``GET /crm/v1/leads?limit=50``, every request with the next tenant's token, while the
server's ``pg_stat_activity`` is sampled every 50 ms for crm's connections. Beside it, in
the same run: the same request for one tenant only (what the tenant churn costs).
Run: ``uv run --group bench python bench/run.py connections`` (or ``make bench``).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg

sys.path.insert(0, str(Path(__file__).parent))

import harness
from crm import insert_leads
from harness import CONFIG, SIGNING_KEY_PASSPHRASE, Section, platform
from mosaico_devstack.postgres import LocalPostgres
from mosaico_identity.keys.service import SigningKeys
from mosaico_shared.tenancy.names import database_name
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from tenants import TENANT, provision

from tests.fixtures.callers import caller_headers
from tests.fixtures.tenants import valid_cnpj

PAGE = "/crm/v1/leads?limit=50"
BUDGET = 20


def tenant_slugs(count: int) -> list[str]:
    return [TENANT, *(f"rr{n:04d}" for n in range(1, count))]


def copy_tenants(postgres: LocalPostgres, identity_url: str, slugs: list[str]) -> None:
    """crm databases copied from the provisioned tenant's, each registered in identity
    with crm enabled (as the operator would leave them)."""
    template = database_name("crm", TENANT)
    with psycopg.connect(postgres.dsn(), autocommit=True) as db:
        # A template must have no other session while it is copied.
        db.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [template],
        )
    for slug in slugs:
        if slug != TENANT:
            postgres.create_database(database_name("crm", slug), owner="crm", template=template)
    with httpx.Client(headers=caller_headers("operator"), timeout=60) as http:
        for n, slug in enumerate(slugs):
            if slug == TENANT:
                continue
            http.put(f"{identity_url}/identity/internal/tenants/{slug}", json={
                "display_name": f"Empresa {n} LTDA", "cnpj": valid_cnpj(n),
                "plan": "empresa", "modules": ["identity", "crm"]}).raise_for_status()  # fmt: skip


def tokens_for(postgres: LocalPostgres, claims: dict[str, Any], slugs: list[str]) -> list[str]:
    """An access token per tenant: the provisioned admin's claims, the tenant changed,
    signed with identity's active key (what identity's login would hand out)."""
    platform_url = postgres.module_url("identity").rsplit("/", 1)[0] + "/identity_platform"

    async def sign_all() -> list[str]:
        engine = create_async_engine(platform_url, poolclass=NullPool)
        try:
            keys = SigningKeys(
                engine, algorithm="EdDSA", access_ttl=900, passphrase=SIGNING_KEY_PASSPHRASE
            )
            expires = int(time.time()) + 3600
            return [await keys.sign({**claims, "tenant": s, "exp": expires}) for s in slugs]
        finally:
            await engine.dispose()

    return asyncio.run(sign_all())


class ConnectionSampler:
    """Peak and mean of crm's connections on the server, sampled every 50 ms."""

    def __init__(self, postgres: LocalPostgres) -> None:
        self.postgres = postgres
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.postgres.dsn(), autocommit=True) as db:
            while not self._stop.is_set():
                row = db.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = 'crm'"
                ).fetchone()
                self.samples.append(int(row[0]) if row else 0)
                self._stop.wait(0.05)

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def round_robin_script(tokens: list[str]) -> str:
    """wrk: each request with the next tenant's token; counts non-2xx answers."""
    lines = ["local tokens = {", *(f'  "{t}",' for t in tokens), "}", "local n = 0"]
    lines.append(
        """request = function()
  n = n % #tokens + 1
  return wrk.format("GET", nil, {["Authorization"] = "Bearer " .. tokens[n]})
end"""
    )
    lines.append(harness.WRK_DONE)
    return "\n".join(lines) + "\n"


def run_wrk(url: str, tokens: list[str], duration: float) -> dict[str, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(round_robin_script(tokens))
    try:
        done = subprocess.run(
            ["wrk", "-t2", f"-c{CONFIG.concurrency}", f"-d{max(1, round(duration))}s",
             "--latency", "--timeout", "10s", "-s", script.name, url + PAGE],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        Path(script.name).unlink()
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> str:
    count = 200 if CONFIG.quick else 1000
    section = Section(
        f"Connections: one crm pod serving {count:,} tenants round-robin",
        f"crm with its default connection budget ({BUDGET}); crm's connections counted "
        "by PostgreSQL (`pg_stat_activity`) every 50 ms while wrk runs.",
    )
    slugs = tenant_slugs(count)
    rows = []
    with platform("crm") as (postgres, services):
        crm_url = services["crm"].url
        tenant = provision(postgres, services["identity"].url, {"crm": crm_url})
        insert_leads(postgres, tenant.user_id, 50)
        copy_tenants(postgres, services["identity"].url, slugs)
        claims = jwt.decode(tenant.token, options={"verify_signature": False})
        tokens = tokens_for(postgres, claims, slugs)
        check = httpx.get(crm_url + PAGE, headers={"Authorization": f"Bearer {tokens[-1]}"})
        check.raise_for_status()
        crm_pid = services["crm"].process.pid
        for n in range(CONFIG.rounds):
            for name, chosen in (("one tenant", tokens[:1]), (f"{count:,} tenants", tokens)):
                warm = CONFIG.warmup if n == 0 else CONFIG.warmup / 2
                run_wrk(crm_url, chosen, warm)
                with ConnectionSampler(postgres) as sampler:
                    cpu = harness.cpu_seconds(crm_pid)
                    stats = run_wrk(crm_url, chosen, CONFIG.duration)
                    cpu = harness.cpu_seconds(crm_pid) - cpu
                rows.append((name, stats, sampler.samples, cpu))
        rss = harness.rss_mib(crm_pid)
    table = [
        "| tenants | req/s | p50 ms | p99 ms | server CPU ms/req | non-2xx | "
        "crm connections: peak | mean |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, stats, samples, cpu in rows:
        seconds = stats["duration_us"] / 1e6
        table.append(
            f"| {name} | {stats['requests'] / seconds:,.0f} | {stats['p50_us'] / 1000:.1f} | "
            f"{stats['p99_us'] / 1000:.1f} | {cpu * 1000 / max(1, stats['requests']):.2f} | "
            f"{stats['errors']} | {max(samples, default=0)} | "
            f"{sum(samples) / max(1, len(samples)):.1f} |"
        )
    peak = max(max(s, default=0) for _, _, s, _ in rows)
    return section.render(
        *table,
        "",
        f"Peak connections held by the pod: **{peak}** (budget {BUDGET}; target: at most "
        f"the budget). crm's RSS after the run: {rss[0]:.0f} MiB (peak {rss[1]:.0f} MiB).",
    )
