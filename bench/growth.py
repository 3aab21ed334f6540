"""Cost against data size: crm's first page of leads and finance's monthly cash flow at
1k, 10k, 100k and 1M rows (``--quick``: 1k and 10k), each beside its lean baseline at
the same size, so that a flat line shows the cost does not grow with the table.

The rows are added in place between sizes (and analysed), on one stack per module.
Run: ``uv run --group bench python bench/run.py growth`` (or ``make bench``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import crm
import finance
from harness import CONFIG, Load, LoadResult, Section, compare, lean_server, platform
from mosaico_shared.tenancy.names import database_name
from tenants import TENANT, provision

BATCH = 100_000  # rows per INSERT statement, so no statement holds a million at once


def sizes() -> list[int]:
    return [1_000, 10_000] if CONFIG.quick else [1_000, 10_000, 100_000, 1_000_000]


def _grow(insert: Callable[[int, int], None], have: int, want: int) -> None:
    while have < want:
        step = min(BATCH, want - have)
        insert(step, have + 1)
        have += step


def _row(size: int, measured: LoadResult, lean: LoadResult) -> str:
    cpu = measured.cpu_ms_per_request
    return (
        f"| {size:,} | {measured.rps:,.0f} | {measured.p99_ms:.1f} | "
        f"{'-' if cpu is None else f'{cpu:.2f}'} | {lean.rps:,.0f} | {lean.p99_ms:.1f} | "
        f"{measured.rps / lean.rps:.2f} |"
    )


HEADER = [
    "| rows | req/s | p99 ms | server CPU ms/req | lean req/s | lean p99 ms | ratio |",
    "|---:|---:|---:|---:|---:|---:|---:|",
]


def crm_growth() -> list[str]:
    lines = ["#### crm GET /crm/v1/leads?limit=50", "", *HEADER]
    with platform("crm") as (postgres, services):
        service = services["crm"]
        tenant = provision(postgres, services["identity"].url, {"crm": service.url})
        dsn = postgres.dsn(database_name("crm", TENANT), user="crm")
        with lean_server(crm=dsn) as lean:
            have = 0
            for size in sizes():
                _grow(lambda n, first: crm.insert_leads(postgres, tenant.user_id, n, first=first),
                      have, size)  # fmt: skip
                have = size
                crm.first_pages_agree(service.url, lean.url, tenant.auth)
                measured, bare = compare([
                    Load("crm", service.url, crm.PAGE, headers=tenant.auth,
                         pid=service.process.pid),
                    Load("lean", lean.url, "/crm/leads?limit=50", pid=lean.pid),
                ])  # fmt: skip
                lines.append(_row(size, measured, bare))
    return [*lines, ""]


def finance_growth() -> list[str]:
    today = datetime.now(UTC).date()
    start = finance.first_month(today)
    path = finance.cash_flow_path(start, today)
    lean_path = f"/finance/cash-flow/monthly?date_from={start}&date_to={today}"
    lines = [f"#### finance monthly cash flow ({finance.MONTHS} months)", "", *HEADER]
    with platform("finance") as (postgres, services):
        service = services["finance"]
        tenant = provision(postgres, services["identity"].url, {"finance": service.url})
        accounts = finance.open_accounts(service.url, tenant.auth)
        dsn = postgres.dsn(database_name("finance", TENANT), user="finance")
        with lean_server(finance=dsn) as lean:
            have = 0
            for size in sizes():
                _grow(lambda n, first: finance.insert_transactions(
                    postgres, accounts, start, today, n, first=first), have, size)  # fmt: skip
                have = size
                finance.check_report(service.url, lean.url, path, tenant.auth, size)
                measured, bare = compare([
                    Load("finance", service.url, path, headers=tenant.auth,
                         pid=service.process.pid),
                    Load("lean", lean.url, lean_path, pid=lean.pid),
                ])  # fmt: skip
                lines.append(_row(size, measured, bare))
    return [*lines, ""]


def main() -> str:
    section = Section(
        "growth: the same requests over 1k to 1M rows",
        "ratio: the Mosaico endpoint's req/s over its lean baseline's at the same size.",
    )
    return section.render(*crm_growth(), *finance_growth())


if __name__ == "__main__":
    CONFIG.command = "uv run --group bench python bench/growth.py"
    print(main())
