"""Reports read daily and monthly totals that triggers keep; on random books, every
report equals the same report summed from every transaction.

Each example writes a random batch into the same tenant: transactions recorded, edited
and soft-deleted through the service functions (as the API does), plus multi-row
statements in SQL (an import, a bulk re-categorization, a hard deletion), so the
triggers see statements of one and of many rows. Then random periods and accounts are
reported both ways. The books only grow across examples, so later examples compare
over everything the earlier ones left.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mosaico_finance.reports.repository import ReportRepository
from mosaico_finance.transactions.codes import new_transaction_code
from mosaico_finance.transactions.schemas import TransactionUpdate
from mosaico_finance.transactions.service import (
    delete_transaction,
    insert_transaction,
    update_transaction,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.services.finance.books import Books, in_tenant_transaction, tenant_database

FIRST_DAY = date(2025, 11, 1)
DAYS = 120  # four months and a little: periods cut months at both edges
ACCOUNTS = 3

_LIVE_IN_PERIOD = """
    deleted_at IS NULL
    AND transaction_date BETWEEN :date_from AND :date_to
    AND (CAST(:account AS uuid) IS NULL OR bank_account_id = CAST(:account AS uuid))
"""
SCAN_MONTHLY = f"""
WITH months AS (
    SELECT CAST(generate_series(
        date_trunc('month', CAST(:date_from AS timestamp)),
        date_trunc('month', CAST(:date_to AS timestamp)),
        interval '1 month') AS date) AS month
), sums AS (
    SELECT CAST(date_trunc('month', CAST(transaction_date AS timestamp)) AS date) AS month,
           SUM(amount) FILTER (WHERE type = 'income') AS income,
           SUM(amount) FILTER (WHERE type = 'expense') AS expense,
           COUNT(*) FILTER (WHERE type = 'income') AS income_count,
           COUNT(*) FILTER (WHERE type = 'expense') AS expense_count
    FROM financial_transactions WHERE {_LIVE_IN_PERIOD} GROUP BY 1
)
SELECT m.month, COALESCE(s.income, 0), COALESCE(s.expense, 0),
       COALESCE(s.income_count, 0), COALESCE(s.expense_count, 0)
FROM months m LEFT JOIN sums s USING (month) ORDER BY m.month
"""
SCAN_BY_CATEGORY = f"""
SELECT c.id, c.name, c.type, SUM(t.amount) AS total, COUNT(*)
FROM financial_transactions t JOIN categories c ON c.id = t.category_id
WHERE {_LIVE_IN_PERIOD}
GROUP BY c.id, c.name, c.type ORDER BY c.type DESC, total DESC, c.name
"""
SCAN_RUNNING_BALANCE = f"""
WITH before AS (
    SELECT bank_account_id, SUM(CASE WHEN type = 'income' THEN amount ELSE -amount END) AS m
    FROM financial_transactions WHERE deleted_at IS NULL AND transaction_date < :date_from
    GROUP BY 1
), daily AS (
    SELECT bank_account_id, transaction_date AS day,
           COALESCE(SUM(amount) FILTER (WHERE type = 'income'), 0) AS income,
           COALESCE(SUM(amount) FILTER (WHERE type = 'expense'), 0) AS expense
    FROM financial_transactions WHERE {_LIVE_IN_PERIOD} GROUP BY 1, 2
)
SELECT a.id, a.name, a.opening_balance + COALESCE(b.m, 0), d.day, d.income, d.expense,
       a.opening_balance + COALESCE(b.m, 0)
           + SUM(d.income - d.expense) OVER (PARTITION BY a.id ORDER BY d.day)
FROM bank_accounts a
LEFT JOIN before b ON b.bank_account_id = a.id
LEFT JOIN daily d ON d.bank_account_id = a.id
WHERE CAST(:account AS uuid) IS NULL OR a.id = CAST(:account AS uuid)
ORDER BY a.name, a.id, d.day
"""


@pytest.fixture(scope="module")
def books(shared_finance_tenants, finance, postgres) -> dict[str, Any]:
    tenant = shared_finance_tenants()
    ledger = Books.of(finance, tenant)
    accounts = [ledger.open_account(name=f"Conta {n}")["id"] for n in range(ACCOUNTS)]
    categories = {
        kind: [c["id"] for c in ledger.get("/categories", type=kind).json()]
        for kind in ("income", "expense")
    }
    return {"tenant": tenant, "accounts": accounts, "categories": categories,
            "postgres": postgres}  # fmt: skip


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
days = st.integers(min_value=0, max_value=DAYS - 1)
recorded = st.tuples(st.integers(0, ACCOUNTS - 1), st.sampled_from(["income", "expense"]),
                     st.integers(0, 50), days, amounts)  # fmt: skip
edits = st.tuples(st.integers(0, 10_000), st.one_of(
    st.tuples(st.just("amount"), amounts),
    st.tuples(st.just("transaction_date"), days),
    st.tuples(st.just("bank_account_id"), st.integers(0, ACCOUNTS - 1)),
    st.tuples(st.just("type"), st.integers(0, 50)),
    st.tuples(st.just("description"), st.just("edited")),
))  # fmt: skip
batches = st.fixed_dictionaries({
    "recorded": st.lists(recorded, min_size=1, max_size=8),
    "edits": st.lists(edits, max_size=4),
    "soft_deletions": st.lists(st.integers(0, 10_000), max_size=2),
    "imported": st.lists(recorded, max_size=12),
    "moved_day": st.one_of(st.none(), st.tuples(days, st.integers(0, ACCOUNTS - 1))),
    "hard_deleted": st.one_of(st.none(), st.integers(0, 10_000)),
})  # fmt: skip
periods = st.tuples(days, days, st.one_of(st.none(), st.integers(0, ACCOUNTS - 1)))


def _category(books: dict[str, Any], kind: str, n: int) -> uuid.UUID:
    options = books["categories"][kind]
    return uuid.UUID(options[n % len(options)])


async def _write(session: AsyncSession, books: dict[str, Any], batch: dict[str, Any]) -> None:
    accounts = [uuid.UUID(a) for a in books["accounts"]]
    slug = books["tenant"].slug
    for account, kind, category, day, amount in batch["recorded"]:
        await insert_transaction(
            session, tenant=slug, actor="test", description="random", amount=amount,
            type=kind, category_id=_category(books, kind, category),
            bank_account_id=accounts[account], transaction_date=FIRST_DAY + timedelta(day),
            source="manual",
        )  # fmt: skip
    codes = list(
        await session.scalars(
            text("SELECT code FROM financial_transactions WHERE deleted_at IS NULL ORDER BY code")
        )
    )
    for pick, (field, value) in batch["edits"]:
        code = codes[pick % len(codes)]
        if field == "type":
            kind = "income" if pick % 2 else "expense"
            changes = {"type": kind, "category_id": _category(books, kind, value)}
        elif field == "transaction_date":
            changes = {field: FIRST_DAY + timedelta(value)}
        elif field == "bank_account_id":
            changes = {field: accounts[value]}
        else:
            changes = {field: value}
        await update_transaction(
            session, code=code, actor="test", body=TransactionUpdate.model_validate(changes)
        )
    for pick in batch["soft_deletions"]:
        live = list(
            await session.scalars(
                text("SELECT code FROM financial_transactions WHERE deleted_at IS NULL")
            )
        )
        if live:
            await delete_transaction(session, code=sorted(live)[pick % len(live)], actor="test")


def _write_in_sql(books: dict[str, Any], batch: dict[str, Any]) -> None:
    accounts = books["accounts"]
    with tenant_database(books["postgres"], books["tenant"]) as db:
        rows = [
            (str(uuid.uuid4()), new_transaction_code(), amount, kind,
             str(_category(books, kind, category)), accounts[account],
             FIRST_DAY + timedelta(day))
            for account, kind, category, day, amount in batch["imported"]
        ]  # fmt: skip
        if rows:
            with db.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO financial_transactions (id, code, description, amount, type,
                        category_id, bank_account_id, transaction_date, source, created_by)
                    SELECT id::uuid, code, 'import', amount::numeric, type, category::uuid,
                           account::uuid, day::date, 'manual', 'test'
                    FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                                %s::text[], %s::text[])
                         AS r(id, code, amount, type, category, account, day)
                    ON CONFLICT (code) DO NOTHING
                    """,
                    [list(column) for column in zip(*[[str(v) for v in r] for r in rows],
                                                    strict=True)],
                )  # fmt: skip
        if batch["moved_day"] is not None:
            day, account = batch["moved_day"]
            db.execute(
                "UPDATE financial_transactions SET bank_account_id = %s "
                "WHERE transaction_date = %s",
                [accounts[account], FIRST_DAY + timedelta(day)],
            )
        if batch["hard_deleted"] is not None:
            db.execute(
                "DELETE FROM financial_transactions WHERE id = (SELECT id FROM "
                "financial_transactions t WHERE NOT EXISTS (SELECT 1 FROM transaction_audit a "
                "WHERE a.transaction_id = t.id) AND NOT EXISTS (SELECT 1 FROM processed_events "
                "p WHERE p.transaction_id = t.id) ORDER BY code OFFSET %s LIMIT 1)",
                [batch["hard_deleted"] % 7],
            )


async def _both_ways(session: AsyncSession, date_from: date, date_to: date,
                     account: uuid.UUID | None) -> list[tuple[Any, Any]]:  # fmt: skip
    reports = ReportRepository(session)
    params = {"date_from": date_from, "date_to": date_to, "account": account}

    async def scan(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await session.execute(text(sql), params)]

    def plain(rows: list[Any]) -> list[tuple[Any, ...]]:
        return [tuple(getattr(r, f) for f in r.__slots__) for r in rows]

    return [
        (plain(await reports.sums_by_month(date_from, date_to, account)),
         await scan(SCAN_MONTHLY)),
        (plain(await reports.sums_by_category(date_from, date_to, account)),
         await scan(SCAN_BY_CATEGORY)),
        (plain(await reports.daily_balances(date_from, date_to, account)),
         await scan(SCAN_RUNNING_BALANCE)),
    ]  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=batches, asked=st.lists(periods, min_size=1, max_size=4))
def test_reports_from_totals_equal_reports_from_every_transaction(books, batch, asked):
    in_tenant_transaction(books["postgres"], books["tenant"],
                          lambda session: _write(session, books, batch))  # fmt: skip
    _write_in_sql(books, batch)
    for first, last, account in asked:
        date_from = FIRST_DAY + timedelta(min(first, last))
        date_to = FIRST_DAY + timedelta(max(first, last))
        chosen = None if account is None else uuid.UUID(books["accounts"][account])

        async def compare(session: AsyncSession, f=date_from, t=date_to, a=chosen) -> Any:
            return await _both_ways(session, f, t, a)

        for from_totals, from_scan in in_tenant_transaction(
            books["postgres"], books["tenant"], compare
        ):
            assert from_totals == from_scan, (date_from, date_to, chosen)


def test_the_migration_backfills_totals_from_the_transactions_already_there(books, postgres):
    """Down to 0002 (no totals), transactions written meanwhile, then up again: the
    backfilled totals equal the sums of the live transactions."""
    from mosaico_finance.main import TENANT_MIGRATIONS
    from mosaico_shared.migrations import upgrade_database
    from mosaico_shared.tenancy.names import database_name

    tenant = books["tenant"]
    url = postgres.url(database_name("finance", tenant.slug), user="finance")
    batch = {"recorded": [(0, "income", 1, 3, Decimal("10.00"))], "edits": [],
             "soft_deletions": [], "imported": [(1, "expense", 2, 40, Decimal("2.50")),
                                                (2, "income", 0, 100, Decimal("7.77"))],
             "moved_day": None, "hard_deleted": None}  # fmt: skip
    in_tenant_transaction(postgres, tenant, lambda session: _write(session, books, batch))
    _downgrade(url, TENANT_MIGRATIONS, "0002")
    _write_in_sql(books, {**batch, "imported": [(0, "income", 3, 70, Decimal("1.11"))]})
    upgrade_database(TENANT_MIGRATIONS, url)
    with tenant_database(postgres, tenant) as db:
        expected = db.execute(
            "SELECT transaction_date, bank_account_id, category_id, type, sum(amount), count(*) "
            "FROM financial_transactions WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4 "
            "ORDER BY 1, 2, 3, 4"
        ).fetchall()
        totals = db.execute(
            "SELECT day, bank_account_id, category_id, type, total, count FROM daily_totals "
            "WHERE count > 0 ORDER BY 1, 2, 3, 4"
        ).fetchall()
        monthly = db.execute("SELECT sum(total), sum(count) FROM monthly_totals").fetchone()
        scanned = db.execute(
            "SELECT sum(amount), count(*) FROM financial_transactions WHERE deleted_at IS NULL"
        ).fetchone()
    assert expected
    assert totals == expected
    assert monthly == scanned


def _downgrade(url: str, migrations: Any, revision: str) -> None:
    from alembic import command
    from mosaico_shared.migrations import alembic_config

    command.downgrade(alembic_config(migrations, url), revision)


def test_an_edit_that_changes_no_sum_leaves_the_totals_alone(books, postgres):
    with tenant_database(postgres, books["tenant"]) as db:
        before = db.execute("SELECT xmin::text, * FROM daily_totals ORDER BY 2, 3, 4, 5").fetchall()
        db.execute("UPDATE financial_transactions SET description = description || '.'")
        after = db.execute("SELECT xmin::text, * FROM daily_totals ORDER BY 2, 3, 4, 5").fetchall()
    assert before == after
