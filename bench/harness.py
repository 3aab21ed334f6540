"""What every benchmark here shares: a throwaway stack, a load generator, a baseline.

Numbers are only compared within one run: each benchmark measures a bare FastAPI
endpoint under the same uvicorn, on the same machine, at the same time.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres
from mosaico_devstack.services import ServiceProcess, start_service

from tests.fixtures.callers import internal_auth_env

SIGNING_KEY_PASSPHRASE = "bench-signing-key-passphrase-0123"
BASELINE_APP = Path(__file__).with_name("baseline_app.py")


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rps:,.0f} | {self.p50_ms:.1f} | "
            f"{self.p99_ms:.1f} | {self.errors} |"
        )


TABLE_HEADER = "| endpoint | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|"


@dataclass(frozen=True)
class Load:
    """One request, repeated: what the load generator sends."""

    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None


def load_generator() -> str:
    """``wrk`` (C, from Debian) when installed, else a Python client; the table says which."""
    return "wrk" if shutil.which("wrk") else "httpx"


def _wrk_script(load: Load) -> str:
    lines = [f"wrk.method = [==[{load.method}]==]"]
    headers = dict(load.headers)
    if load.json_body is not None:
        lines.append(f"wrk.body = [==[{json.dumps(load.json_body)}]==]")
        headers["Content-Type"] = "application/json"
    lines += [f"wrk.headers[ [==[{k}]==] ] = [==[{v}]==]" for k, v in headers.items()]
    lines.append(
        """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end"""
    )
    return "\n".join(lines) + "\n"


def _run_wrk(base_url: str, load: Load, *, concurrency: int, duration: float) -> dict[str, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_wrk_script(load))
    done = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--latency",
         "-s", script.name, base_url + load.path],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    Path(script.name).unlink()
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def _httpx_load(
    base_url: str, load: Load, *, concurrency: int, duration: float
) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await client.request(
                    load.method, load.path, headers=load.headers, json=load.json_body
                )
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 400:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), errors, latencies


def measure(
    name: str,
    base_url: str,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    json_body: Any = None,
    concurrency: int = 16,
    duration: float = 10.0,
    warmup: float = 2.0,
) -> LoadResult:
    """Send the same request from ``concurrency`` connections for ``duration`` seconds."""
    load = Load(path, method, headers or {}, json_body)
    if load_generator() == "wrk":
        _run_wrk(base_url, load, concurrency=concurrency, duration=warmup)
        stats = _run_wrk(base_url, load, concurrency=concurrency, duration=duration)
        return LoadResult(
            name, stats["requests"], stats["errors"], stats["duration_us"] / 1e6,
            stats["p50_us"] / 1000, stats["p99_us"] / 1000,
        )  # fmt: skip
    asyncio.run(_httpx_load(base_url, load, concurrency=concurrency, duration=warmup))
    started = time.perf_counter()
    count, errors, latencies = asyncio.run(
        _httpx_load(base_url, load, concurrency=concurrency, duration=duration)
    )
    ordered = sorted(latencies)

    def percentile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    return LoadResult(
        name, count, errors, time.perf_counter() - started, percentile(0.5), percentile(0.99)
    )


def baseline_database(postgres: LocalPostgres) -> str:
    """A database for the ``/row`` baseline, on the same server as the services."""
    postgres.create_database("baseline")
    return postgres.url("baseline", user="mosaico")


@contextmanager
def baseline_server(database_url: str | None = None) -> Iterator[str]:
    """The baselines under the same uvicorn settings as the services: ``/ping`` always,
    ``/row`` (one primary-key read through SQLAlchemy) when given a database."""
    port = free_port()
    env = dict(os.environ)
    if database_url:
        env["BASELINE_DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "baseline_app:app", "--app-dir", str(BASELINE_APP.parent),
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env=env,
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/ping", alive=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def platform(*modules: str) -> Iterator[tuple[LocalPostgres, dict[str, ServiceProcess]]]:
    """A throwaway PostgreSQL and the given modules (identity first) as uvicorn processes."""
    root = Path(tempfile.mkdtemp(prefix="mosaico-bench-"))
    postgres = LocalPostgres(root / "pg", durable=False).start()
    postgres.create_database("identity_platform", owner="identity")
    ports = {m: free_port() for m in ("identity", *modules)}
    env = {
        "MOSAICO_SIGNING_KEY_PASSPHRASE": SIGNING_KEY_PASSPHRASE,
        "MOSAICO_IDENTITY_URL": f"http://127.0.0.1:{ports['identity']}",
        "MOSAICO_LOG_LEVEL": "WARNING",
    }
    services: dict[str, ServiceProcess] = {}
    try:
        for module, port in ports.items():
            services[module] = start_service(
                module,
                port=port,
                env={
                    **env,
                    **internal_auth_env(module),
                    "MOSAICO_DATABASE_URL": postgres.module_url(module),
                },
                log_dir=root / "logs",
            )
        yield postgres, services
    finally:
        for service in services.values():
            service.stop()
        postgres.stop()


def summarize(
    results: list[LoadResult], baseline: LoadResult, db_baseline: LoadResult | None = None
) -> str:
    """The table plus each endpoint's throughput as a share of the baseline(s)."""
    baselines = [baseline] if db_baseline is None else [baseline, db_baseline]
    lines = [
        f"Load generator: {load_generator()}.",
        "",
        TABLE_HEADER,
        *(r.row() for r in [*baselines, *results]),
        "",
    ]
    for result in results:
        for base in baselines:
            lines.append(
                f"- {result.name}: {result.rps / base.rps:.1%} of {base.name}'s req/s, "
                f"p99 {result.p99_ms / base.p99_ms:.1f}x"
            )
    return "\n".join(lines)
