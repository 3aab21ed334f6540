"""Cash flow by month and by category, running balances and indicators.

Sums come from PostgreSQL ``numeric``; the divisions done here (shares, averages,
changes) are ``Decimal`` quantized once at the end. Never float.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from mosaico_shared.money import to_money
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.reports.repository import MonthSums, ReportRepository
from mosaico_finance.reports.schemas import (
    AccountRunningBalance,
    BalanceDay,
    CashFlowByCategory,
    CategoryFlow,
    Indicators,
    MonthFlow,
    MonthlyCashFlow,
    MonthTotals,
    RunningBalances,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
PERCENT = Decimal("0.01")


def month_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with two places; None when ``whole`` is 0."""
    if whole == 0:
        return None
    return (part * HUNDRED / whole).quantize(PERCENT, rounding=ROUND_HALF_EVEN)


def change_pct(current: Decimal, previous: Decimal) -> Decimal | None:
    """Change from ``previous`` to ``current`` in %, against the size of ``previous``."""
    return percent(current - previous, abs(previous))


async def cash_flow_by_month(
    session: AsyncSession, *, date_from: date, date_to: date, account: uuid.UUID | None = None
) -> MonthlyCashFlow:
    """Income, expense and net per month of the period, with totals."""
    sums = await ReportRepository(session).sums_by_month(date_from, date_to, account)
    months = [
        MonthFlow(
            month=month_label(s.month),
            income=to_money(s.income),
            expense=to_money(s.expense),
            net=to_money(s.income - s.expense),
            income_count=s.income_count,
            expense_count=s.expense_count,
        )
        for s in sums
    ]
    income = to_money(sum((m.income for m in months), ZERO))
    expense = to_money(sum((m.expense for m in months), ZERO))
    return MonthlyCashFlow(
        date_from=date_from,
        date_to=date_to,
        months=months,
        total_income=income,
        total_expense=expense,
        net=income - expense,
    )


async def cash_flow_by_category(
    session: AsyncSession, *, date_from: date, date_to: date, account: uuid.UUID | None = None
) -> CashFlowByCategory:
    """Total, count and share of each category that moved in the period."""
    sums = await ReportRepository(session).sums_by_category(date_from, date_to, account)
    totals = {
        kind: to_money(sum((s.total for s in sums if s.type == kind), ZERO))
        for kind in ("income", "expense")
    }
    categories = [
        CategoryFlow.model_validate(
            {
                "category_id": s.category_id,
                "name": s.name,
                "type": s.type,
                "total": to_money(s.total),
                "count": s.count,
                "share_pct": percent(s.total, totals[s.type]) or ZERO,
            }
        )
        for s in sums
    ]
    return CashFlowByCategory(
        date_from=date_from,
        date_to=date_to,
        categories=categories,
        total_income=totals["income"],
        total_expense=totals["expense"],
    )


async def running_balances(
    session: AsyncSession, *, date_from: date, date_to: date, account: uuid.UUID | None = None
) -> RunningBalances:
    """For each account: its balance before the period, then after each day that moved."""
    accounts: dict[uuid.UUID, AccountRunningBalance] = {}
    for row in await ReportRepository(session).daily_balances(date_from, date_to, account):
        entry = accounts.get(row.account_id)
        if entry is None:
            starting = to_money(row.starting)
            entry = accounts[row.account_id] = AccountRunningBalance(
                bank_account_id=row.account_id,
                name=row.name,
                starting_balance=starting,
                closing_balance=starting,
                days=[],
            )
        if row.day is not None and row.balance is not None:
            balance = to_money(row.balance)
            entry.days.append(
                BalanceDay(
                    date=row.day,
                    income=to_money(row.income or ZERO),
                    expense=to_money(row.expense or ZERO),
                    balance=balance,
                )
            )
            entry.closing_balance = balance
    return RunningBalances(date_from=date_from, date_to=date_to, accounts=list(accounts.values()))


async def indicators(session: AsyncSession, *, month: date) -> Indicators:
    """Revenue, expenses, net result and average ticket of ``month`` (its first day),
    with the change against the month before, in %."""
    previous_start = (month - timedelta(days=1)).replace(day=1)
    month_end = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    previous, current = await ReportRepository(session).sums_by_month(previous_start, month_end)
    now, before = _totals(current), _totals(previous)
    return Indicators(
        **now.model_dump(),
        average_ticket=(
            to_money(now.revenue / now.income_transactions) if now.income_transactions else None
        ),
        previous=before,
        revenue_change_pct=change_pct(now.revenue, before.revenue),
        expenses_change_pct=change_pct(now.expenses, before.expenses),
        net_result_change_pct=change_pct(now.net_result, before.net_result),
    )


def _totals(sums: MonthSums) -> MonthTotals:
    return MonthTotals(
        month=month_label(sums.month),
        revenue=to_money(sums.income),
        expenses=to_money(sums.expense),
        net_result=to_money(sums.income - sums.expense),
        income_transactions=sums.income_count,
    )
