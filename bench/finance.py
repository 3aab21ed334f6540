"""``GET /finance/v1/reports/cash-flow/monthly`` over 100,000 transactions in 24 months,
beside its lean baseline (the same SQL and JSON) and the lean primary-key read.

A throwaway PostgreSQL, identity and finance run as real uvicorn processes; one tenant
is provisioned through the internal APIs like the operator does, two bank accounts are
opened through the API, the transactions are inserted with one SQL statement (finance's
daily and monthly totals follow them in the same transaction) and analysed; then wrk
asks for the monthly cash flow of the whole 24 months. Run:
``uv run --group bench python bench/run.py finance`` (or ``make bench``).
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).parent))

import harness
from harness import Load, Section, compare, lean_server, platform, ratios, row_database, table
from mosaico_devstack.postgres import LocalPostgres
from mosaico_finance.transactions.codes import CHECK_LETTERS
from mosaico_shared.tenancy.names import database_name
from tenants import TENANT, provision

TRANSACTIONS = 100_000
MONTHS = 24


def open_accounts(finance_url: str, auth: dict[str, str]) -> list[str]:
    """Two bank accounts, opened through the API."""
    ids = []
    for n, kind in enumerate(("checking", "savings")):
        response = httpx.post(f"{finance_url}/finance/v1/accounts", headers=auth, json={
            "name": f"Conta {kind}", "bank_code": "341", "agency": "0123",
            "account_number": f"{1000 + n}-9", "account_type": kind,
            "opening_balance": "10000.00"}, timeout=30)  # fmt: skip
        response.raise_for_status()
        ids.append(str(response.json()["id"]))
    return ids


def first_month(today: date) -> date:
    """The first day of the month ``MONTHS - 1`` months before this one."""
    index = today.year * 12 + today.month - 1 - (MONTHS - 1)
    return date(index // 12, index % 12 + 1, 1)


def cash_flow_path(start: date, end: date) -> str:
    return f"/finance/v1/reports/cash-flow/monthly?from={start}&to={end}"


def insert_transactions(postgres: LocalPostgres, accounts: list[str], start: date,
                        end: date, count: int, *, first: int = 1) -> None:  # fmt: skip
    """Transactions number ``first`` to ``first + count - 1`` (2/3 income, 1/3 expense)
    spread evenly over the days from ``start`` to ``end``, with well-formed codes and
    cents in every amount; then ``ANALYZE``."""
    with psycopg.connect(postgres.dsn(database_name("finance", TENANT)), autocommit=True) as db:
        categories = {
            kind: [row[0] for row in db.execute(
                "SELECT id FROM categories WHERE type = %s ORDER BY name", [kind])]
            for kind in ("income", "expense")
        }  # fmt: skip
        db.execute(
            """
            INSERT INTO financial_transactions
                (id, code, description, amount, type, category_id, bank_account_id,
                 transaction_date, source, created_by, created_at, updated_at)
            SELECT gen_random_uuid(),
                   'LC' || lpad(i::text, 8, '0') || substr(%(letters)s, i %% 23 + 1, 1),
                   'Lançamento ' || i,
                   ((i * 7919) %% 500000 + 1) / 100.0,
                   CASE WHEN i %% 3 = 0 THEN 'expense' ELSE 'income' END,
                   CASE WHEN i %% 3 = 0
                        THEN (%(expense)s::uuid[])[1 + i %% cardinality(%(expense)s::uuid[])]
                        ELSE (%(income)s::uuid[])[1 + i %% cardinality(%(income)s::uuid[])]
                   END,
                   (%(accounts)s::uuid[])[1 + i %% 2],
                   %(start)s::date + (i %% (%(end)s::date - %(start)s::date + 1)),
                   'manual', 'bench', now(), now()
            FROM generate_series(%(first)s::int, %(last)s::int) AS i
            """,
            {"letters": CHECK_LETTERS, "income": categories["income"],
             "expense": categories["expense"], "accounts": accounts,
             "start": start, "end": end, "first": first, "last": first + count - 1},
        )  # fmt: skip
        db.execute("ANALYZE")


def check_report(finance_url: str, lean_url: str, path: str, auth: dict[str, str],
                 transactions: int) -> None:  # fmt: skip
    report = httpx.get(f"{finance_url}{path}", headers=auth, timeout=60)
    report.raise_for_status()
    months = report.json()["months"]
    assert len(months) == MONTHS, report.text[:500]
    assert sum(m["income_count"] + m["expense_count"] for m in months) == transactions
    assert all(Decimal(m["income"]) > 0 for m in months), report.text[:500]
    query = path.split("?", 1)[1].replace("from=", "date_from=").replace("to=", "date_to=")
    lean = httpx.get(f"{lean_url}/finance/cash-flow/monthly?{query}", timeout=60)
    lean.raise_for_status()
    harness.same_json(report.json(), lean.json(), "finance and its lean baseline")


def main() -> str:
    section = Section(
        f"finance: monthly cash flow of {MONTHS} months over {TRANSACTIONS:,} transactions",
        "The report reads the monthly totals of whole months and the daily totals of the "
        "months the period cuts.",
    )
    today = datetime.now(UTC).date()
    start = first_month(today)
    path = cash_flow_path(start, today)
    with platform("finance") as (postgres, services):
        finance_url = services["finance"].url
        tenant = provision(postgres, services["identity"].url, {"finance": finance_url})
        insert_transactions(postgres, open_accounts(finance_url, tenant.auth), start, today,
                            TRANSACTIONS)  # fmt: skip
        dsn = postgres.dsn(database_name("finance", TENANT), user="finance")
        with lean_server(row=row_database(postgres), finance=dsn) as lean:
            check_report(finance_url, lean.url, path, tenant.auth, TRANSACTIONS)
            pid = services["finance"].process.pid
            idle = harness.rss_mib(pid)[0]
            lean_path = f"/finance/cash-flow/monthly?date_from={start}&date_to={today}"
            results = compare([
                Load("lean: ping", lean.url, "/ping", pid=lean.pid),
                Load("lean: one primary-key read", lean.url, "/row", pid=lean.pid),
                Load("lean: monthly cash flow", lean.url, lean_path, pid=lean.pid),
                Load("finance GET cash-flow/monthly", finance_url, path, headers=tenant.auth,
                     pid=pid),
            ])  # fmt: skip
            loaded = harness.rss_mib(pid)
    measured = "finance GET cash-flow/monthly"
    return section.render(
        *table(results),
        *ratios(
            results,
            [(measured, "lean: monthly cash flow"), (measured, "lean: one primary-key read")],
        ),
        "",
        f"finance RSS: {idle:.0f} MiB idle, {loaded[0]:.0f} MiB after the load "
        f"(peak {loaded[1]:.0f} MiB).",
    )


if __name__ == "__main__":
    harness.CONFIG.command = "uv run --group bench python bench/finance.py"
    print(main())
