"""Roles: admin does everything, manager reads and writes transactions, user only reads."""

from __future__ import annotations

import pytest

from tests.services.finance.books import Books

PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}


@pytest.fixture
def office(make_finance_tenant, finance):
    """A tenant with an account, a transaction, and one Books per role."""
    tenant = make_finance_tenant()
    admin = Books.of(finance, tenant)
    account = admin.open_account("10.00")
    code = admin.record(account, "1.00")["code"]
    people = {"admin": admin}
    for role in ("manager", "user"):
        people[role] = Books.of(finance, tenant, *tenant.add_user(roles=[role]))
    return people, account, code


READS = [
    ("/accounts", {}),
    ("/transactions", {}),
    ("/categories", {}),
    ("/transactions/export.csv", {}),
    ("/reports/cash-flow/monthly", PERIOD),
    ("/reports/cash-flow/by-category", PERIOD),
    ("/reports/running-balance", PERIOD),
    ("/reports/indicators", {"month": "2026-11"}),
]


@pytest.mark.parametrize("role", ["admin", "manager", "user"])
def test_every_role_reads_the_books(office, role):
    people, account, code = office
    books = people[role]
    for path, params in READS:
        assert books.get(path, **params).status_code == 200, path
    assert books.get(f"/accounts/{account['id']}").status_code == 200
    assert books.get(f"/transactions/{code}").status_code == 200
    assert books.get(f"/transactions/{code}/audit").status_code == 200


@pytest.mark.parametrize(("role", "allowed"), [("admin", True), ("manager", True), ("user", False)])
def test_only_admins_and_managers_write_transactions(office, role, allowed):
    people, account, code = office
    books = people[role]
    recorded = books.record_raw(account, "2.00")
    edited = books.patch(f"/transactions/{code}", {"amount": "3.00"})
    deleted = books.delete(f"/transactions/{code}")
    expected = (201, 200, 204) if allowed else (403, 403, 403)
    assert (recorded.status_code, edited.status_code, deleted.status_code) == expected
    if not allowed:
        assert recorded.json()["title"] == "Forbidden"
        assert "transactions:write" in recorded.json()["detail"]


@pytest.mark.parametrize(
    ("role", "allowed"), [("admin", True), ("manager", False), ("user", False)]
)
def test_only_admins_manage_accounts_and_categories(office, role, allowed):
    people, account, _ = office
    books = people[role]
    opened = books.post(
        "/accounts",
        {"name": "Outra", "bank_code": "001", "agency": "1", "account_number": f"9{len(role)}"},
    )
    renamed = books.patch(f"/accounts/{account['id']}", {"name": "Principal"})
    added = books.post("/categories", {"name": f"Nova {role}", "type": "expense"})
    archived = books.post(f"/categories/{books.category('Marketing', 'expense')['id']}/archive")
    statuses = (opened.status_code, renamed.status_code, added.status_code, archived.status_code)
    assert statuses == ((201, 200, 201, 200) if allowed else (403, 403, 403, 403))
