"""Where a request's time goes: py-spy samples a service process while wrk loads one
endpoint, and the samples are summed by package and by function.

Run: ``uv run --group bench python bench/run.py profiles`` (also part of ``make bench``,
left out of ``--quick``). The crm list, the finance cash flow and identity's ``/me``
are profiled on the same stack the other benchmarks use.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import crm
import finance
from harness import CONFIG, Load, Section, _measure_once, platform
from tenants import provision

SECONDS = 10
TOP = 12

#: Which part of the stack a frame belongs to, by where its file lives.
PARTS = (
    ("mosaico_", "mosaico"),
    ("/sqlalchemy/", "sqlalchemy"),
    ("/psycopg", "psycopg"),
    ("/pydantic", "pydantic"),
    ("/fastapi/", "fastapi"),
    ("/starlette/", "starlette"),
    ("/uvicorn/", "uvicorn"),
    ("/prometheus", "prometheus"),
    ("/jwt/", "pyjwt"),
    ("/logging/", "logging"),
    ("pythonjsonlogger", "logging"),
    ("/asyncio/", "asyncio"),
    ("/greenlet", "greenlet"),
)


def _where(frame: str) -> str:
    """The file of a py-spy frame, ``/``-led: py-spy writes installed packages' paths
    from the package on (``name (sqlalchemy/orm/session.py:2177)``)."""
    return "/" + frame.rsplit(" (", 1)[-1]


def _name(frame: str, *, line: bool = True) -> str:
    """A frame as ``function (file:line)``, the file from its package on; without the
    line, every line of a function is the function."""
    function, _, where = frame.rpartition(" (")
    where = where.split("site-packages/")[-1]
    return f"{function} ({where if line else where.rsplit(':', 1)[0] + ')'}"


def _part(frame: str) -> str:
    where = _where(frame)
    for needle, name in PARTS:
        if needle in where:
            return name
    return "other"


def sample(pid: int, load: Load, seconds: int = SECONDS) -> Counter[str]:
    """py-spy's collapsed stacks of ``pid`` while ``load`` runs: stack -> samples."""
    out = Path(tempfile.mkdtemp()) / "profile.txt"
    spy = subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
         "--format", "raw", "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    loader = threading.Thread(
        target=_measure_once, args=(load,), kwargs={"duration": seconds, "warmup": 0}
    )
    loader.start()
    loader.join()
    spy.wait(timeout=60)
    stacks: Counter[str] = Counter()
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        stacks[stack] += int(count)
    return stacks


def summary(title: str, stacks: Counter[str]) -> list[str]:
    """Samples by part of the stack (the frame that was running) and the functions
    most often on the stack (inclusive), as markdown."""
    total = sum(stacks.values()) or 1
    own: Counter[str] = Counter()
    running: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        own[_part(frames[-1])] += count
        running[_name(frames[-1])] += count
        for frame in {_name(f, line=False): f for f in frames}.values():
            if _part(frame) == "mosaico":
                inclusive[_name(frame, line=False)] += count
    lines = [f"#### {title}: {total} samples", "", "| part (running frame) | share |", "|---|---:|"]
    lines += [f"| {name} | {n / total:.0%} |" for name, n in own.most_common()]
    lines += ["", "| running function | share |", "|---|---:|"]
    lines += [f"| `{name}` | {n / total:.0%} |" for name, n in running.most_common(TOP)]
    lines += ["", "| Mosaico function (on the stack) | share |", "|---|---:|"]
    lines += [f"| `{name}` | {n / total:.0%} |" for name, n in inclusive.most_common(TOP)]
    return [*lines, ""]


def main() -> str:
    if CONFIG.quick:
        return "### profile\n\nLeft out of --quick."
    section = Section(
        "profile: where the time of a request goes (py-spy, 250 Hz, under wrk)",
        f"{SECONDS} s of samples per endpoint; shares of all samples of the service process.",
    )
    body: list[str] = []
    with platform("crm", "finance") as (postgres, services):
        urls = {m: s.url for m, s in services.items() if m != "identity"}
        tenant = provision(postgres, services["identity"].url, urls)
        crm.insert_leads(postgres, tenant.user_id, crm.LEADS)
        today = datetime.now(UTC).date()
        start = finance.first_month(today)
        accounts = finance.open_accounts(urls["finance"], tenant.auth)
        finance.insert_transactions(postgres, accounts, start, today, finance.TRANSACTIONS)
        targets = [
            ("crm GET /crm/v1/leads?limit=50", "crm", crm.PAGE),
            ("finance GET cash-flow/monthly", "finance", finance.cash_flow_path(start, today)),
            ("identity GET /identity/v1/me", "identity", "/identity/v1/me"),
        ]
        for title, module, path in targets:
            service = services[module]
            load = Load(title, service.url, path, headers=tenant.auth)
            _measure_once(load, duration=2, warmup=0)
            body += summary(title, sample(service.process.pid, load))
    return section.render(*body)


if __name__ == "__main__":
    print(main())
