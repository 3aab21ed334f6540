"""What every benchmark here shares: a throwaway stack, a load generator, the lean
baselines, alternating measurements and the heading every table carries.

Numbers are only compared within one run: each benchmark measures its lean baseline
(``lean_app.py``) under the same uvicorn, on the same machine, at the same time, in
alternating rounds, so a neighbour's load falls on both sides of a ratio.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform as platform_module
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from mosaico_devstack.ports import free_port, reserve_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres
from mosaico_devstack.services import ServiceProcess, start_service

from tests.fixtures.callers import internal_auth_env

HERE = Path(__file__).parent
SIGNING_KEY_PASSPHRASE = "bench-signing-key-passphrase-0123"


@dataclass
class Config:
    """How long each measurement runs; ``make bench --quick`` shortens all of them."""

    quick: bool = False
    concurrency: int = 16
    command: str = "make bench"

    @property
    def duration(self) -> float:
        return 2.0 if self.quick else 8.0

    @property
    def warmup(self) -> float:
        return 1.0 if self.quick else 2.0

    @property
    def rounds(self) -> int:
        """Measurements of each endpoint, alternating with the others'."""
        return 1 if self.quick else 2


CONFIG = Config()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform_module.processor(),
    )  # fmt: skip
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))  # fmt: skip
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kb / 1024 / 1024:.0f} GiB, "
        f"Python {platform_module.python_version()}"
    )


def commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return done.stdout.strip() + ("+changes" if dirty else "")


class Section:
    """One table's heading: what ran, where, when, against which load, with what."""

    def __init__(self, title: str, what: str = "") -> None:
        self.title = title
        self.what = what
        self.started = datetime.now(UTC)
        self.load_before = load_average()

    def render(self, *body: str) -> str:
        lines = [
            f"### {self.title}",
            "",
            *([self.what, ""] if self.what else []),
            f"- date: {self.started:%Y-%m-%d %H:%M} UTC; commit {commit()}",
            f"- machine: {machine()}",
            f"- load generator: {load_generator()}"
            + (
                f", {CONFIG.concurrency} connections, 2 threads"
                if load_generator() == "wrk"
                else ""
            ),
            f"- each endpoint: {CONFIG.rounds} round(s) of {CONFIG.duration:.0f} s after "
            f"{CONFIG.warmup:.0f} s of warm-up, endpoints alternating",
            f"- load average (1/5/15 min) before: {self.load_before}; after: {load_average()}",
            f"- command: `{CONFIG.command}`",
            "",
            *body,
        ]
        return "\n".join(lines)


# --- load ---------------------------------------------------------------------------


@dataclass
class LoadResult:
    name: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    #: CPU seconds the server process spent (user + system) while measured; None when
    #: the server is not one process of ours.
    cpu_seconds: float | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.cpu_seconds is None or not self.requests:
            return None
        return self.cpu_seconds * 1000 / self.requests

    @property
    def busy_cores(self) -> float | None:
        """How much of a core the server used while measured. A one-process server
        under enough load is near 1.00; one well below answers slowly while idle, so it
        waits on something (a lock, a pool, a timer, the network) rather than works."""
        if self.cpu_seconds is None or not self.seconds:
            return None
        return self.cpu_seconds / self.seconds

    def row(self) -> str:
        cpu, busy = self.cpu_ms_per_request, self.busy_cores
        return (
            f"| {self.name} | {self.rps:,.0f} | {self.p50_ms:.1f} | "
            f"{self.p99_ms:.1f} | {'-' if cpu is None else f'{cpu:.2f}'} | "
            f"{'-' if busy is None else f'{busy:.2f}'} | {self.errors} |"
        )


TABLE_HEADER = (
    "| endpoint | req/s | p50 ms | p99 ms | server CPU ms/req | server busy (cores) | errors |\n"
    "|---|---:|---:|---:|---:|---:|---:|"
)


@dataclass(frozen=True)
class Load:
    """One request, repeated: what the load generator sends, and to which server."""

    name: str
    base_url: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    json_body: Any = None
    concurrency: int | None = None
    #: The server's process: its CPU time per request is reported beside the req/s, a
    #: figure a neighbour's load on the machine disturbs far less than throughput.
    pid: int | None = None


def load_generator() -> str:
    """``wrk`` (C, from Debian) when installed, else a Python client; the table says which."""
    return "wrk" if shutil.which("wrk") else "httpx"


#: wrk's summary as one JSON line (every wrk script here ends with it).
WRK_DONE = """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end"""


def _wrk_script(load: Load) -> str:
    lines = [f"wrk.method = [==[{load.method}]==]"]
    headers = dict(load.headers)
    if load.json_body is not None:
        lines.append(f"wrk.body = [==[{json.dumps(load.json_body)}]==]")
        headers["Content-Type"] = "application/json"
    lines += [f"wrk.headers[ [==[{k}]==] ] = [==[{v}]==]" for k, v in headers.items()]
    lines.append(WRK_DONE)
    return "\n".join(lines) + "\n"


def _run_wrk(load: Load, *, concurrency: int, duration: float) -> dict[str, int]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_wrk_script(load))
    try:
        done = subprocess.run(
            ["wrk", "-t2", f"-c{concurrency}", f"-d{max(1, round(duration))}s", "--latency",
             "--timeout", "10s", "-s", script.name, load.base_url + load.path],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        Path(script.name).unlink()
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def _httpx_load(
    load: Load, *, concurrency: int, duration: float
) -> tuple[int, int, list[float]]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=load.base_url, timeout=30, limits=limits) as client:

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its waited-for children) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _measure_once(load: Load, *, duration: float, warmup: float) -> LoadResult:
    concurrency = load.concurrency or CONFIG.concurrency
    if load_generator() == "wrk":
        if warmup:
            _run_wrk(load, concurrency=concurrency, duration=warmup)
        cpu_before = cpu_seconds(load.pid) if load.pid else None
        stats = _run_wrk(load, concurrency=concurrency, duration=duration)
        cpu = cpu_seconds(load.pid) - cpu_before if load.pid and cpu_before is not None else None
        return LoadResult(
            load.name, stats["requests"], stats["errors"], stats["duration_us"] / 1e6,
            stats["p50_us"] / 1000, stats["p99_us"] / 1000, cpu,
        )  # fmt: skip
    if warmup:
        asyncio.run(_httpx_load(load, concurrency=concurrency, duration=warmup))
    started = time.perf_counter()
    count, errors, latencies = asyncio.run(
        _httpx_load(load, concurrency=concurrency, duration=duration)
    )
    ordered = sorted(latencies)

    def percentile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

    return LoadResult(
        load.name, count, errors, time.perf_counter() - started, percentile(0.5), percentile(0.99)
    )


def compare(loads: Sequence[Load]) -> list[LoadResult]:
    """Each load for ``CONFIG.rounds`` rounds, alternating (A B C A B C): requests and
    seconds add up over the rounds, latencies are the median of the rounds'."""
    rounds: dict[str, list[LoadResult]] = {load.name: [] for load in loads}
    for n in range(CONFIG.rounds):
        for load in loads:
            warmup = CONFIG.warmup if n == 0 else CONFIG.warmup / 2
            rounds[load.name].append(_measure_once(load, duration=CONFIG.duration, warmup=warmup))
    return [
        LoadResult(
            name,
            sum(r.requests for r in results),
            sum(r.errors for r in results),
            sum(r.seconds for r in results),
            statistics.median(r.p50_ms for r in results),
            statistics.median(r.p99_ms for r in results),
            None
            if any(r.cpu_seconds is None for r in results)
            else sum(r.cpu_seconds or 0 for r in results),
        )
        for name, results in rounds.items()
    ]


def ratios(results: Sequence[LoadResult], pairs: Sequence[tuple[str, str]]) -> list[str]:
    """``(measured, baseline)`` names -> one line each: req/s share and p99 factor."""
    by_name = {r.name: r for r in results}
    lines = []
    for measured, baseline in pairs:
        m, b = by_name[measured], by_name[baseline]
        cpu = ""
        if m.cpu_ms_per_request and b.cpu_ms_per_request:
            cpu = f", server CPU per request {m.cpu_ms_per_request / b.cpu_ms_per_request:.2f}x"
        lines.append(
            f"- {m.name} / {b.name}: **{m.rps / b.rps if b.rps else float('nan'):.2f}** of its req/s, "
            f"p99 {m.p99_ms / b.p99_ms:.2f}x{cpu}"
        )
    return lines


def table(results: Sequence[LoadResult]) -> list[str]:
    return [TABLE_HEADER, *(r.row() for r in results), ""]


# --- processes ----------------------------------------------------------------------


def rss_mib(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


@contextmanager
def uvicorn_server(app: str, *, app_dir: Path = HERE, env: dict[str, str] | None = None,
                   ready: str = "/ping") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:  # fmt: skip
    """``app`` under the same uvicorn settings as the services (one process)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--app-dir", str(app_dir),
         "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning"],
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}{ready}", alive=process, timeout=300)
        yield f"http://127.0.0.1:{port}", process
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int


@contextmanager
def lean_server(**dsns: str) -> Iterator[Server]:
    """The lean baselines (``lean_app.py``), with a pool on each database given
    (``row=``, ``crm=``, ``finance=``, ``identity=``: libpq DSNs)."""
    env = {f"LEAN_{name.upper()}_DSN": dsn for name, dsn in dsns.items()}
    with uvicorn_server("lean_app:app", env=env) as (url, process):
        yield Server(url, process.pid)


def row_database(postgres: LocalPostgres) -> str:
    """A database for the ``/row`` baseline (one primary-key read), on the services' server."""
    postgres.create_database("lean")
    return postgres.dsn("lean", user="mosaico")


@contextmanager
def platform(*modules: str) -> Iterator[tuple[LocalPostgres, dict[str, ServiceProcess]]]:
    """A throwaway PostgreSQL and the given modules (identity first) as uvicorn processes."""
    root = Path(tempfile.mkdtemp(prefix="mosaico-bench-"))
    postgres = LocalPostgres(root / "pg", durable=False).start()
    postgres.create_database("identity_platform", owner="identity")
    listeners = {m: reserve_port(0, m) for m in ("identity", *modules)}
    ports = {m: s.getsockname()[1] for m, s in listeners.items()}
    env = {
        "MOSAICO_SIGNING_KEY_PASSPHRASE": SIGNING_KEY_PASSPHRASE,
        "MOSAICO_IDENTITY_URL": f"http://127.0.0.1:{ports['identity']}",
        "MOSAICO_LOG_LEVEL": "WARNING",
    }
    services: dict[str, ServiceProcess] = {}
    try:
        for module, listener in listeners.items():
            services[module] = start_service(
                module,
                listener=listener,
                env={
                    **env,
                    **internal_auth_env(module),
                    "MOSAICO_DATABASE_URL": postgres.module_url(module),
                },
                log_dir=root / "logs",
                timeout=600,  # a shared, loaded machine may take minutes
            )
        yield postgres, services
    finally:
        for listener in listeners.values():
            listener.close()
        for service in services.values():
            service.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def same_json(left: Any, right: Any, what: str) -> None:
    """Refuse to compare endpoints that do not answer the same thing."""
    if left != right:
        raise AssertionError(f"{what}: the two answers differ:\n{left!r:.2000}\n{right!r:.2000}")
