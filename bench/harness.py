"""What every benchmark here shares: a throwaway stack, a load generator, a baseline.

Numbers are only compared within one run: each benchmark measures a bare FastAPI
endpoint under the same uvicorn, on the same machine, at the same time.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres
from mosaico_devstack.services import ServiceProcess, start_service

INTERNAL_TOKEN = "bench-internal-token-0123456789"
BASELINE_APP = Path(__file__).with_name("baseline_app.py")


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    def row(self) -> str:
        return (
            f"| {self.name} | {self.rps:,.0f} | {self.percentile(0.50):.1f} | "
            f"{self.percentile(0.99):.1f} | {self.errors} |"
        )


TABLE_HEADER = "| endpoint | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|"

RequestFactory = Callable[[httpx.AsyncClient], "asyncio.Future[httpx.Response] | object"]


async def _load(
    base_url: str, make_request: Callable, *, concurrency: int, duration: float
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
                response = await make_request(client)
                latencies.append(time.perf_counter() - started)
                if response.status_code >= 400:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(latencies), errors, latencies


def measure(
    name: str,
    base_url: str,
    make_request: Callable,
    *,
    concurrency: int = 16,
    duration: float = 10.0,
    warmup: float = 2.0,
) -> LoadResult:
    """Drive ``make_request(client)`` from ``concurrency`` tasks for ``duration`` seconds."""
    asyncio.run(_load(base_url, make_request, concurrency=concurrency, duration=warmup))
    started = time.perf_counter()
    count, errors, latencies = asyncio.run(
        _load(base_url, make_request, concurrency=concurrency, duration=duration)
    )
    return LoadResult(name, count, errors, time.perf_counter() - started, latencies)


@contextmanager
def baseline_server() -> Iterator[str]:
    """A bare FastAPI endpoint under the same uvicorn settings as the services."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "baseline_app:app", "--app-dir", str(BASELINE_APP.parent),
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
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
    postgres = LocalPostgres(root / "pg").start()
    postgres.create_database("identity_platform")
    ports = {m: free_port() for m in ("identity", *modules)}
    env = {
        "MOSAICO_DATABASE_URL": postgres.app_url,
        "MOSAICO_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "MOSAICO_IDENTITY_URL": f"http://127.0.0.1:{ports['identity']}",
        "MOSAICO_LOG_LEVEL": "WARNING",
    }
    services: dict[str, ServiceProcess] = {}
    try:
        for module, port in ports.items():
            services[module] = start_service(module, port=port, env=env, log_dir=root / "logs")
        yield postgres, services
    finally:
        for service in services.values():
            service.stop()
        postgres.stop()


def summarize(results: list[LoadResult], baseline: LoadResult) -> str:
    """The table plus each endpoint's throughput as a share of the baseline."""
    lines = [TABLE_HEADER, *(r.row() for r in [baseline, *results]), ""]
    for result in results:
        lines.append(
            f"- {result.name}: {result.rps / baseline.rps:.1%} of the baseline's req/s, "
            f"p99 {result.percentile(0.99) / baseline.percentile(0.99):.1f}x the baseline's"
        )
    return "\n".join(lines)


def p(values: list[float]) -> float:
    return statistics.median(values)
