"""Two tenants: neither ever sees the other's books, not even by guessing ids or codes."""

from __future__ import annotations

from decimal import Decimal

from tests.services.finance.books import Books

PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}


def test_a_tenant_never_sees_another_tenants_transactions_or_accounts(make_finance_tenant, finance):
    a = Books.of(finance, make_finance_tenant())
    b = Books.of(finance, make_finance_tenant())
    a_account = a.open_account("100.00")
    a_code = a.record(a_account, "0.10")["code"]
    b_account = b.open_account("7.00")

    assert b.get("/transactions").json()["total"] == 0
    assert [acc["id"] for acc in b.get("/accounts").json()] == [b_account["id"]]
    assert b.get(f"/transactions/{a_code}").status_code == 404
    assert b.get(f"/transactions/{a_code}/audit").status_code == 404
    assert b.patch(f"/transactions/{a_code}", {"amount": "999.00"}).status_code == 404
    assert b.delete(f"/transactions/{a_code}").status_code == 404
    assert b.get(f"/accounts/{a_account['id']}").status_code == 404
    assert b.patch(f"/accounts/{a_account['id']}", {"active": False}).status_code == 404
    a_category = a.category("Vendas")["id"]
    assert b.post(f"/categories/{a_category}/archive").status_code == 404

    into_a = b.record_raw(a_account, "1.00")
    assert into_a.status_code == 422
    monthly = b.get("/reports/cash-flow/monthly", **PERIOD).json()
    assert Decimal(monthly["total_income"]) == 0
    assert b.get("/transactions/export.csv").text.strip().count("\n") == 0

    assert a.get(f"/transactions/{a_code}").json()["amount"] == "0.10"
    assert a.balance(a_account) == Decimal("100.10")
    assert a.category("Vendas")["archived"] is False


def test_the_same_code_may_exist_in_two_tenants_without_crossing(
    make_finance_tenant, finance, postgres
):
    from tests.services.finance.books import tenant_database

    tenant_a, tenant_b = make_finance_tenant(), make_finance_tenant()
    a, b = Books.of(finance, tenant_a), Books.of(finance, tenant_b)
    a_code = a.record(a.open_account(), "1.00")["code"]
    b_tx = b.record(b.open_account(), "2.00")
    with tenant_database(postgres, tenant_b) as db:
        db.execute("UPDATE financial_transactions SET code = %s", [a_code])
    assert a.get(f"/transactions/{a_code}").json()["amount"] == "1.00"
    assert b.get(f"/transactions/{a_code}").json()["id"] == b_tx["id"]


def test_a_tenant_without_the_finance_module_is_refused(make_tenant_without_finance, finance):
    tenant = make_tenant_without_finance()
    response = finance.get("/finance/v1/transactions", headers=tenant.auth())
    assert response.status_code == 403
    assert response.json()["type"].endswith("/module-not-enabled")


def test_no_token_no_books(finance):
    response = finance.get("/finance/v1/accounts")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    forged = finance.get("/finance/v1/accounts", headers={"Authorization": "Bearer not.a.jwt"})
    assert forged.status_code == 401
