"""``/finance/v1/reports``: JSON by default, CSV with ``format=csv``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from mosaico_shared.problems import Forbidden, InvalidInput, Unauthorized, problem_responses
from mosaico_shared.schemas import QueryDate
from mosaico_shared.tenancy.session import TenantSession

from mosaico_finance.exports import CSV_RESPONSE, Cell, Dialect, csv_response
from mosaico_finance.reports import service
from mosaico_finance.reports.auth import ReportsReader
from mosaico_finance.reports.schemas import (
    CashFlowByCategory,
    Indicators,
    MonthlyCashFlow,
    RunningBalances,
)
from mosaico_finance.transactions.schemas import EARLIEST_DATE

router = APIRouter(prefix="/finance/v1/reports", tags=["reports"])

Format = Annotated[Literal["json", "csv"], Query(description="csv answers text/csv")]
MAX_PERIOD_DAYS = 3660  # ten years: generous for reports, bounded for the database
RESPONSES = {**CSV_RESPONSE, **problem_responses(Unauthorized, Forbidden, InvalidInput)}


@dataclass(frozen=True, slots=True)
class Period:
    date_from: date
    date_to: date
    account: uuid.UUID | None


async def report_period(
    date_from: Annotated[QueryDate, Query(alias="from", examples=["2026-01-01"])],
    date_to: Annotated[QueryDate, Query(alias="to", examples=["2026-12-31"])],
    bank_account_id: uuid.UUID | None = None,
) -> Period:
    if date_from > date_to:
        raise InvalidInput("from: must not be after to.")
    if date_from < EARLIEST_DATE:
        raise InvalidInput(f"from: reports start on {EARLIEST_DATE.isoformat()} at the earliest.")
    if (date_to - date_from).days > MAX_PERIOD_DAYS:
        raise InvalidInput("to: a report covers ten years at most.")
    return Period(date_from, date_to, bank_account_id)


ReportPeriod = Annotated[Period, Depends(report_period)]


@router.get("/cash-flow/monthly", response_model=MonthlyCashFlow, responses=RESPONSES)
async def cash_flow_by_month(
    principal: ReportsReader,
    session: TenantSession,
    period: ReportPeriod,
    format: Format = "json",
    dialect: Dialect = "standard",
) -> MonthlyCashFlow | Response:
    """Income, expense and net for every month of the period (empty months included)."""
    report = await service.cash_flow_by_month(
        session, date_from=period.date_from, date_to=period.date_to, account=period.account
    )
    if format == "json":
        return report
    return csv_response(
        "cash-flow-monthly.csv",
        ["month", "income", "expense", "net", "income_count", "expense_count"],
        (
            [m.month, m.income, m.expense, m.net, m.income_count, m.expense_count]
            for m in report.months
        ),
        dialect,
    )


@router.get("/cash-flow/by-category", response_model=CashFlowByCategory, responses=RESPONSES)
async def cash_flow_by_category(
    principal: ReportsReader,
    session: TenantSession,
    period: ReportPeriod,
    format: Format = "json",
    dialect: Dialect = "standard",
) -> CashFlowByCategory | Response:
    """Total, count and share of each category that moved in the period."""
    report = await service.cash_flow_by_category(
        session, date_from=period.date_from, date_to=period.date_to, account=period.account
    )
    if format == "json":
        return report
    return csv_response(
        "cash-flow-by-category.csv",
        ["category_id", "category", "type", "total", "count", "share_pct"],
        (
            [str(c.category_id), c.name, c.type, c.total, c.count, c.share_pct]
            for c in report.categories
        ),
        dialect,
    )


@router.get("/running-balance", response_model=RunningBalances, responses=RESPONSES)
async def running_balance(
    principal: ReportsReader,
    session: TenantSession,
    period: ReportPeriod,
    format: Format = "json",
    dialect: Dialect = "standard",
) -> RunningBalances | Response:
    """Each account's balance before the period and at the end of every day that moved."""
    report = await service.running_balances(
        session, date_from=period.date_from, date_to=period.date_to, account=period.account
    )
    if format == "json":
        return report
    return csv_response(
        "running-balance.csv",
        ["bank_account_id", "bank_account", "date", "income", "expense", "balance"],
        (
            [str(a.bank_account_id), a.name, d.date, d.income, d.expense, d.balance]
            for a in report.accounts
            for d in a.days
        ),
        dialect,
    )


def _current_month() -> str:
    today = datetime.now(UTC).date()
    return f"{today.year:04d}-{today.month:02d}"


@router.get("/indicators", response_model=Indicators, responses=RESPONSES)
async def indicators(
    principal: ReportsReader,
    session: TenantSession,
    month: Annotated[
        str | None, Query(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$", examples=["2026-11"])
    ] = None,
    format: Format = "json",
    dialect: Dialect = "standard",
) -> Indicators | Response:
    """Revenue, expenses, net result and average ticket of a month (the current one by
    default), with the change against the previous month in %."""
    year, number = (month or _current_month()).split("-")
    report = await service.indicators(session, month=date(int(year), int(number), 1))
    if format == "json":
        return report
    header = [
        "month", "revenue", "expenses", "net_result", "income_transactions", "average_ticket",
        "previous_revenue", "previous_expenses", "previous_net_result",
        "revenue_change_pct", "expenses_change_pct", "net_result_change_pct",
    ]  # fmt: skip
    row: list[Cell] = [
        report.month, report.revenue, report.expenses, report.net_result,
        report.income_transactions, report.average_ticket,
        report.previous.revenue, report.previous.expenses, report.previous.net_result,
        report.revenue_change_pct, report.expenses_change_pct, report.net_result_change_pct,
    ]  # fmt: skip
    return csv_response("indicators.csv", header, [row], dialect)
