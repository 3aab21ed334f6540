"""Report queries. Every sum is PostgreSQL ``numeric``: no float anywhere."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import text

from mosaico_finance.models import FinancialTransaction

_ACCOUNT = "(CAST(:account AS uuid) IS NULL OR bank_account_id = CAST(:account AS uuid))"

#: Totals per month and type of a period: the monthly totals of the months it covers
#: whole (``full_from`` <= month < ``full_until``), the daily totals of its other days.
#: Cost follows the months and the accounts and categories, not the transactions.
_PERIOD_BY_MONTH = f"""
    SELECT month, type, category_id, total, count FROM monthly_totals
    WHERE month >= :full_from AND month < :full_until AND {_ACCOUNT}
    UNION ALL
    SELECT CAST(date_trunc('month', CAST(day AS timestamp)) AS date), type, category_id,
           total, count
    FROM daily_totals
    WHERE day BETWEEN :date_from AND :date_to AND (day < :full_from OR day >= :full_until)
      AND {_ACCOUNT}
"""  # noqa: S608 - constant fragments, no input in them

# Months are truncated as ``timestamp`` (no time zone): they never shift with the
# session's TimeZone.
MONTHLY = f"""
WITH months AS (
    SELECT CAST(generate_series(
        date_trunc('month', CAST(:date_from AS timestamp)),
        date_trunc('month', CAST(:date_to AS timestamp)),
        interval '1 month') AS date) AS month
), sums AS (
    SELECT month,
           SUM(total) FILTER (WHERE type = 'income') AS income,
           SUM(total) FILTER (WHERE type = 'expense') AS expense,
           SUM(count) FILTER (WHERE type = 'income') AS income_count,
           SUM(count) FILTER (WHERE type = 'expense') AS expense_count
    FROM ({_PERIOD_BY_MONTH}) AS period
    GROUP BY 1
)
SELECT m.month,
       CAST(COALESCE(s.income, 0) AS numeric(20, 2)) AS income,
       CAST(COALESCE(s.expense, 0) AS numeric(20, 2)) AS expense,
       CAST(COALESCE(s.income_count, 0) AS integer) AS income_count,
       CAST(COALESCE(s.expense_count, 0) AS integer) AS expense_count
FROM months m LEFT JOIN sums s USING (month)
ORDER BY m.month
"""  # noqa: S608 - constant fragments, no input in them

_BY_CATEGORY = text(f"""
SELECT c.id, c.name, c.type, CAST(SUM(p.total) AS numeric(20, 2)) AS total,
       CAST(SUM(p.count) AS integer) AS count
FROM ({_PERIOD_BY_MONTH}) AS p JOIN categories c ON c.id = p.category_id
GROUP BY c.id, c.name, c.type
HAVING SUM(p.count) > 0
ORDER BY c.type DESC, total DESC, c.name
""")  # noqa: S608 - constant fragments, no input in them

_RUNNING_BALANCE = text(f"""
WITH before AS (
    SELECT bank_account_id,
           SUM(CASE WHEN type = 'income' THEN total ELSE -total END) AS movement
    FROM (
        SELECT bank_account_id, type, total FROM monthly_totals WHERE month < :period_month
        UNION ALL
        SELECT bank_account_id, type, total FROM daily_totals
        WHERE day >= :period_month AND day < :date_from
    ) AS earlier
    GROUP BY 1
), daily AS (
    SELECT bank_account_id, day,
           COALESCE(SUM(total) FILTER (WHERE type = 'income'), 0) AS income,
           COALESCE(SUM(total) FILTER (WHERE type = 'expense'), 0) AS expense
    FROM daily_totals
    WHERE day BETWEEN :date_from AND :date_to AND {_ACCOUNT}
    GROUP BY 1, 2
    HAVING SUM(count) > 0
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
""")  # noqa: S608 - constant fragments, no input in them

_MONTHLY = text(MONTHLY)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_parameters(
    date_from: date, date_to: date, account: uuid.UUID | None
) -> dict[str, object]:
    """The bind parameters of the period queries: the period, the account, and the
    months it covers whole (``full_from`` <= month < ``full_until``)."""
    full_from = date_from if date_from.day == 1 else _next_month(date_from)
    end_of_month = _next_month(date_to) - timedelta(days=1)
    full_until = _next_month(date_to) if date_to == end_of_month else _month_start(date_to)
    return {
        "date_from": date_from,
        "date_to": date_to,
        "account": account,
        "full_from": full_from,
        "full_until": max(full_until, full_from),
        "period_month": _month_start(date_from),
    }


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


class ReportRepository(RepositoryBase[FinancialTransaction]):
    """Sums over live transactions, by month, category and day, read from the daily
    and monthly totals."""

    model = FinancialTransaction
    soft_delete_column = "deleted_at"

    async def sums_by_month(
        self, date_from: date, date_to: date, account: uuid.UUID | None = None
    ) -> list[MonthSums]:
        """Income, expense and counts for every month of the period (empty months too)."""
        rows = await self.session.execute(_MONTHLY, period_parameters(date_from, date_to, account))
        return [MonthSums(*row) for row in rows]

    async def sums_by_category(
        self, date_from: date, date_to: date, account: uuid.UUID | None = None
    ) -> list[CategorySums]:
        """Total and count per category that moved in the period."""
        rows = await self.session.execute(
            _BY_CATEGORY, period_parameters(date_from, date_to, account)
        )
        return [CategorySums(*row) for row in rows]

    async def daily_balances(
        self, date_from: date, date_to: date, account: uuid.UUID | None = None
    ) -> list[BalanceRow]:
        """Per account and day with movement: income, expense and the balance after it."""
        rows = await self.session.execute(
            _RUNNING_BALANCE, period_parameters(date_from, date_to, account)
        )
        return [BalanceRow(*row) for row in rows]
