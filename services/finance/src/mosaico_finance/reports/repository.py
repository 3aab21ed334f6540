"""Report queries. Every sum is PostgreSQL ``numeric``: no float anywhere."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import text

from mosaico_finance.models import FinancialTransaction

_LIVE_IN_PERIOD = """
    deleted_at IS NULL
    AND transaction_date BETWEEN :date_from AND :date_to
    AND (CAST(:account AS uuid) IS NULL OR bank_account_id = CAST(:account AS uuid))
"""

# Dates are truncated as ``timestamp`` (no time zone): months never shift with the
# session's TimeZone, and no per-row zone conversion is paid.
_MONTHLY = text(f"""
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
    FROM financial_transactions
    WHERE {_LIVE_IN_PERIOD}
    GROUP BY 1
)
SELECT m.month,
       COALESCE(s.income, 0) AS income,
       COALESCE(s.expense, 0) AS expense,
       COALESCE(s.income_count, 0) AS income_count,
       COALESCE(s.expense_count, 0) AS expense_count
FROM months m LEFT JOIN sums s USING (month)
ORDER BY m.month
""")  # noqa: S608 - a constant fragment, no input in it

_BY_CATEGORY = text(f"""
SELECT c.id, c.name, c.type, SUM(t.amount) AS total, COUNT(*) AS count
FROM financial_transactions t JOIN categories c ON c.id = t.category_id
WHERE {_LIVE_IN_PERIOD}
GROUP BY c.id, c.name, c.type
ORDER BY c.type DESC, total DESC, c.name
""")  # noqa: S608 - a constant fragment, no input in it

_RUNNING_BALANCE = text(f"""
WITH before AS (
    SELECT bank_account_id,
           SUM(CASE WHEN type = 'income' THEN amount ELSE -amount END) AS movement
    FROM financial_transactions
    WHERE deleted_at IS NULL AND transaction_date < :date_from
    GROUP BY 1
), daily AS (
    SELECT bank_account_id, transaction_date AS day,
           COALESCE(SUM(amount) FILTER (WHERE type = 'income'), 0) AS income,
           COALESCE(SUM(amount) FILTER (WHERE type = 'expense'), 0) AS expense
    FROM financial_transactions
    WHERE {_LIVE_IN_PERIOD}
    GROUP BY 1, 2
)
SELECT a.id, a.name,
       a.opening_balance + COALESCE(b.movement, 0) AS starting,
       d.day, d.income, d.expense,
       a.opening_balance + COALESCE(b.movement, 0)
           + SUM(d.income - d.expense) OVER (PARTITION BY a.id ORDER BY d.day) AS balance
FROM bank_accounts a
LEFT JOIN before b ON b.bank_account_id = a.id
LEFT JOIN daily d ON d.bank_account_id = a.id
WHERE CAST(:account AS uuid) IS NULL OR a.id = CAST(:account AS uuid)
ORDER BY a.name, a.id, d.day
""")  # noqa: S608 - a constant fragment, no input in it


@dataclass(frozen=True, slots=True)
class MonthSums:
    month: date
    income: Decimal
    expense: Decimal
    income_count: int
    expense_count: int


@dataclass(frozen=True, slots=True)
class CategorySums:
    category_id: uuid.UUID
    name: str
    type: str
    total: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class BalanceRow:
    account_id: uuid.UUID
    name: str
    starting: Decimal
    day: date | None
    income: Decimal | None
    expense: Decimal | None
    balance: Decimal | None


def _params(date_from: date, date_to: date, account: uuid.UUID | None) -> dict[str, object]:
    return {"date_from": date_from, "date_to": date_to, "account": account}


class ReportRepository(RepositoryBase[FinancialTransaction]):
    """Sums over live transactions, by month, category and day."""

    model = FinancialTransaction
    soft_delete_column = "deleted_at"

    async def sums_by_month(
        self, date_from: date, date_to: date, account: uuid.UUID | None = None
    ) -> list[MonthSums]:
        """Income, expense and counts for every month of the period (empty months too)."""
        rows = await self.session.execute(_MONTHLY, _params(date_from, date_to, account))
        return [MonthSums(*row) for row in rows]

    async def sums_by_category(
        self, date_from: date, date_to: date, account: uuid.UUID | None = None
    ) -> list[CategorySums]:
        """Total and count per category that moved in the period."""
        rows = await self.session.execute(_BY_CATEGORY, _params(date_from, date_to, account))
        return [CategorySums(*row) for row in rows]

    async def daily_balances(
        self, date_from: date, date_to: date, account: uuid.UUID | None = None
    ) -> list[BalanceRow]:
        """Per account and day with movement: income, expense and the balance after it."""
        rows = await self.session.execute(_RUNNING_BALANCE, _params(date_from, date_to, account))
        return [BalanceRow(*row) for row in rows]
