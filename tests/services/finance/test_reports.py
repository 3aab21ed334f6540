"""Reports checked against sums computed here, independently, from the inserted data.

The amounts are cents that binary floats cannot represent (0.10, 0.20, 0.07, ...), so
a report summed in float would be off by a cent somewhere; every figure must match the
``Decimal`` arithmetic exactly.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from tests.services.finance.books import Books

CENTS = ["0.10", "0.20", "0.07", "0.01", "0.30", "0.03", "0.70", "0.11", "1234.56"]
MONTHS = ["2026-09", "2026-10", "2026-11"]
INCOME_CATEGORIES = ["Vendas", "Serviços"]
EXPENSE_CATEGORIES = ["Fornecedores", "Impostos", "Aluguel"]
OPENING = {"main": Decimal("100.00"), "savings": Decimal("0.30")}


@dataclass
class Entry:
    account: str
    type: str
    category: str
    amount: Decimal
    on: date
    code: str = ""


def _plan() -> list[Entry]:
    entries = []
    for i in range(54):
        kind = "expense" if (i // 3) % 3 == 2 else "income"
        names = INCOME_CATEGORIES if kind == "income" else EXPENSE_CATEGORIES
        month = MONTHS[i % 3]
        entries.append(
            Entry(
                account="main" if (i // 2) % 2 == 0 else "savings",
                type=kind,
                category=names[i % len(names)],
                amount=Decimal(CENTS[i % len(CENTS)]),
                on=date.fromisoformat(f"{month}-{1 + (i * 7) % 28:02d}"),
            )
        )
    return entries


@pytest.fixture(scope="module")
def ledger(shared_finance_tenants, finance):
    """One tenant's books for the whole module, plus the entries as the test knows them."""
    tenant = shared_finance_tenants()
    books = Books.of(finance, tenant)
    accounts = {
        name: books.open_account(str(opening), name=name) for name, opening in OPENING.items()
    }
    entries = _plan()
    for e in entries:
        recorded = books.record(accounts[e.account], e.amount, e.type, category=e.category,
                                on=e.on.isoformat())  # fmt: skip
        e.code = recorded["code"]
    # One edit and one deletion, applied to the test's own copy as well.
    edited, deleted = entries[4], entries[7]
    books.patch(f"/transactions/{edited.code}", {"amount": "0.90"})
    edited.amount = Decimal("0.90")
    books.delete(f"/transactions/{deleted.code}")
    entries.remove(deleted)
    return books, accounts, entries


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _pct(part: Decimal, whole: Decimal) -> str | None:
    if whole == 0:
        return None
    return str((part * 100 / whole).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_data_would_expose_float_arithmetic(ledger):
    _, _, entries = ledger
    incomes = [e.amount for e in entries if e.type == "income" and e.amount < 1000]
    assert sum(float(a) for a in incomes) != float(sum(incomes))


def test_cash_flow_by_month_matches_the_sums_of_the_transactions(ledger):
    books, _, entries = ledger
    period = {"from": "2026-08-15", "to": "2026-11-30"}
    report = books.get("/reports/cash-flow/monthly", **period).json()

    start, end = date(2026, 8, 15), date(2026, 11, 30)
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in entries:
        if start <= e.on <= end:
            sums[e.on.strftime("%Y-%m")][e.type] += e.amount
            counts[e.on.strftime("%Y-%m")][e.type] += 1
    expected = [
        {
            "month": month,
            "income": _money(sums[month]["income"]),
            "expense": _money(sums[month]["expense"]),
            "net": _money(sums[month]["income"] - sums[month]["expense"]),
            "income_count": counts[month]["income"],
            "expense_count": counts[month]["expense"],
        }
        for month in ["2026-08", *MONTHS]
    ]
    assert report["months"] == expected
    assert report["from"] == "2026-08-15"
    assert report["to"] == "2026-11-30"
    total_income = sum((s["income"] for s in sums.values()), Decimal(0))
    total_expense = sum((s["expense"] for s in sums.values()), Decimal(0))
    assert report["total_income"] == _money(total_income)
    assert report["total_expense"] == _money(total_expense)
    assert report["net"] == _money(total_income - total_expense)

    rows = _csv(books.get("/reports/cash-flow/monthly", format="csv", **period))
    assert rows == [{k: str(v) for k, v in row.items()} for row in expected]


def test_a_period_starting_mid_month_counts_only_its_days(ledger):
    books, _, entries = ledger
    report = books.get("/reports/cash-flow/monthly", **{"from": "2026-09-10", "to": "2026-09-30"})
    september = report.json()["months"]
    expected = sum(
        (
            e.amount
            for e in entries
            if e.type == "income" and date(2026, 9, 10) <= e.on <= date(2026, 9, 30)
        ),
        Decimal(0),
    )
    assert [(m["month"], m["income"]) for m in september] == [("2026-09", _money(expected))]


def test_cash_flow_by_category_matches_the_sums_of_the_transactions(ledger):
    books, _, entries = ledger
    period = {"from": "2026-09-01", "to": "2026-11-30"}
    report = books.get("/reports/cash-flow/by-category", **period).json()

    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for e in entries:
        totals[(e.type, e.category)] += e.amount
        counts[(e.type, e.category)] += 1
    by_type = {
        t: sum((v for (k, _), v in totals.items() if k == t), Decimal(0))
        for t in ("income", "expense")
    }
    got = {(c["type"], c["name"]): c for c in report["categories"]}
    assert set(got) == set(totals)
    for key, total in totals.items():
        assert got[key]["total"] == _money(total), key
        assert got[key]["count"] == counts[key], key
        assert got[key]["share_pct"] == _pct(total, by_type[key[0]]), key
    assert report["total_income"] == _money(by_type["income"])
    assert report["total_expense"] == _money(by_type["expense"])

    rows = _csv(books.get("/reports/cash-flow/by-category", format="csv", **period))
    assert {(r["type"], r["category"]): (r["total"], r["count"], r["share_pct"]) for r in rows} == {
        key: (c["total"], str(c["count"]), c["share_pct"]) for key, c in got.items()
    }


def test_the_running_balance_of_each_account_matches_the_transactions(ledger):
    books, accounts, entries = ledger
    period = {"from": "2026-10-01", "to": "2026-11-30"}
    report = books.get("/reports/running-balance", **period).json()
    by_account = {a["name"]: a for a in report["accounts"]}
    assert set(by_account) == set(OPENING)
    for name, opening in OPENING.items():
        mine = [e for e in entries if e.account == name]
        signed = [(e.on, e.amount if e.type == "income" else -e.amount) for e in mine]
        starting = opening + sum((a for d, a in signed if d < date(2026, 10, 1)), Decimal(0))
        days: dict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for e in mine:
            if date(2026, 10, 1) <= e.on <= date(2026, 11, 30):
                days[e.on][0 if e.type == "income" else 1] += e.amount
        balance, expected = starting, []
        for day in sorted(days):
            income, expense = days[day]
            balance += income - expense
            expected.append({"date": day.isoformat(), "income": _money(income),
                             "expense": _money(expense), "balance": _money(balance)})  # fmt: skip
        got = by_account[name]
        assert got["starting_balance"] == _money(starting)
        assert got["days"] == expected
        assert got["closing_balance"] == _money(balance)
        assert Decimal(got["closing_balance"]) == books.balance(accounts[name])

    rows = _csv(books.get("/reports/running-balance", format="csv", **period))
    assert [(r["bank_account"], r["date"], r["balance"]) for r in rows] == [
        (a["name"], d["date"], d["balance"]) for a in report["accounts"] for d in a["days"]
    ]


def test_indicators_match_the_month_and_its_change_from_the_previous_one(ledger):
    books, _, entries = ledger
    report = books.get("/reports/indicators", month="2026-11").json()

    def month_sums(month: str) -> tuple[Decimal, Decimal, int]:
        mine = [e for e in entries if e.on.strftime("%Y-%m") == month]
        revenue = sum((e.amount for e in mine if e.type == "income"), Decimal(0))
        expenses = sum((e.amount for e in mine if e.type == "expense"), Decimal(0))
        return revenue, expenses, sum(1 for e in mine if e.type == "income")

    revenue, expenses, count = month_sums("2026-11")
    prev_revenue, prev_expenses, _ = month_sums("2026-10")
    net, prev_net = revenue - expenses, prev_revenue - prev_expenses
    assert report["month"] == "2026-11"
    assert (report["revenue"], report["expenses"], report["net_result"]) == (
        _money(revenue), _money(expenses), _money(net),
    )  # fmt: skip
    assert report["income_transactions"] == count
    assert report["average_ticket"] == str(
        (revenue / count).quantize(Decimal("0.01"), ROUND_HALF_EVEN)
    )
    assert report["previous"]["month"] == "2026-10"
    assert report["previous"]["revenue"] == _money(prev_revenue)
    assert report["revenue_change_pct"] == _pct(revenue - prev_revenue, abs(prev_revenue))
    assert report["expenses_change_pct"] == _pct(expenses - prev_expenses, abs(prev_expenses))
    assert report["net_result_change_pct"] == _pct(net - prev_net, abs(prev_net))

    (row,) = _csv(books.get("/reports/indicators", month="2026-11", format="csv"))
    assert row["revenue"] == report["revenue"]
    assert row["average_ticket"] == report["average_ticket"]
    assert row["revenue_change_pct"] == report["revenue_change_pct"]


def test_a_month_without_income_has_no_average_ticket_and_no_change(ledger):
    books, _, _ = ledger
    report = books.get("/reports/indicators", month="2026-07").json()
    assert report["revenue"] == "0.00"
    assert report["average_ticket"] is None
    assert report["revenue_change_pct"] is None


def test_the_transactions_export_matches_the_entries(ledger):
    books, _, entries = ledger
    rows = _csv(books.get("/transactions/export.csv"))
    assert sorted(
        (r["code"], r["type"], r["amount"], r["category"], r["date"]) for r in rows
    ) == sorted((e.code, e.type, _money(e.amount), e.category, e.on.isoformat()) for e in entries)
