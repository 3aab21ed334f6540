"""``GET /finance/v1/reports/cash-flow/monthly`` over 100k transactions in 24 months,
against a bare FastAPI endpoint.

A throwaway PostgreSQL, identity and finance run as real uvicorn processes; one tenant
is provisioned through the internal APIs like the operator does, two bank accounts are
opened through the API, 100k transactions spread over the last 24 months are inserted
with one SQL statement, then N concurrent httpx clients ask for the monthly cash flow of
the whole 24 months for a fixed time. Run:
``uv run python bench/finance.py [--concurrency 16 --duration 10]`` (or ``make bench``).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import psycopg
from harness import baseline_database, baseline_server, measure, platform, summarize
from mosaico_devstack.postgres import LocalPostgres
from mosaico_finance.transactions.codes import CHECK_LETTERS
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.callers import caller_headers

TENANT = "bench"
TRANSACTIONS = 100_000
MONTHS = 24
ADMIN = {"full_name": "Bench Admin", "cpf": "52998224725", "email": "admin@bench.dev",
         "password": "bench-password-1"}  # fmt: skip


def provision(postgres: LocalPostgres, identity_url: str, finance_url: str) -> str:
    """The tenant with identity and finance, onboarded; returns the admin's access token."""
    for module in ("identity", "finance"):
        postgres.create_database(database_name(module, TENANT), owner=module)
    internal = caller_headers("operator")
    with httpx.Client(headers=internal, timeout=60) as http:
        http.put(f"{identity_url}/identity/internal/tenants/{TENANT}", json={
            "display_name": "Bench LTDA", "cnpj": "11222333000181", "plan": "empresa",
            "modules": ["identity", "finance"]}).raise_for_status()  # fmt: skip
        http.post(f"{identity_url}/identity/internal/tenants/{TENANT}/onboard").raise_for_status()
        http.post(f"{finance_url}/finance/internal/tenants/{TENANT}/onboard").raise_for_status()
        http.put(f"{identity_url}/identity/internal/tenants/{TENANT}/admin", json=ADMIN
                 ).raise_for_status()  # fmt: skip
        login = http.post(f"{identity_url}/identity/v1/auth/login", json={
            "tenant": TENANT, "login": ADMIN["email"], "password": ADMIN["password"]})  # fmt: skip
        login.raise_for_status()
        return str(login.json()["access_token"])


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


def insert_transactions(postgres: LocalPostgres, accounts: list[str], start: date,
                        end: date, count: int = TRANSACTIONS) -> None:  # fmt: skip
    """``count`` live transactions (2/3 income, 1/3 expense) spread evenly over the days
    from ``start`` to ``end``, with well-formed codes and cents in every amount."""
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
            FROM generate_series(1, %(count)s) AS i
            """,
            {"letters": CHECK_LETTERS, "income": categories["income"],
             "expense": categories["expense"], "accounts": accounts,
             "start": start, "end": end, "count": count},
        )  # fmt: skip
        db.execute("ANALYZE")


def main(concurrency: int = 16, duration: float = 10.0) -> str:
    today = datetime.now(UTC).date()
    start = first_month(today)
    path = f"/finance/v1/reports/cash-flow/monthly?from={start}&to={today}"
    with (
        platform("finance") as (postgres, services),
        baseline_server(baseline_database(postgres)) as baseline_url,
    ):
        finance_url = services["finance"].url
        auth = {
            "Authorization": f"Bearer {provision(postgres, services['identity'].url, finance_url)}"
        }
        insert_transactions(postgres, open_accounts(finance_url, auth), start, today)
        report = httpx.get(f"{finance_url}{path}", headers=auth, timeout=60)
        report.raise_for_status()
        months = report.json()["months"]
        assert len(months) == MONTHS, report.text
        assert sum(m["income_count"] + m["expense_count"] for m in months) == TRANSACTIONS
        assert all(Decimal(m["income"]) > 0 for m in months), report.text
        baseline = measure("bare FastAPI GET /ping (baseline)", baseline_url,
                           "/ping",
                           concurrency=concurrency, duration=duration)  # fmt: skip
        db_baseline = measure("bare FastAPI + one SQLAlchemy PK read (baseline)", baseline_url,
                              "/row", concurrency=concurrency, duration=duration)  # fmt: skip
        cash_flow = measure(
            f"GET /finance/v1/reports/cash-flow/monthly ({TRANSACTIONS:,} transactions, "
            f"{MONTHS} months, token, tenant DB)",
            finance_url, path, headers=auth,
            concurrency=concurrency, duration=duration,
        )  # fmt: skip
    heading = f"### finance\n\n{concurrency} concurrent clients, {duration:.0f} s each.\n\n"
    return heading + summarize([cash_flow], baseline, db_baseline)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    print(main(args.concurrency, args.duration))
