"""Categories: seeded defaults, additions, archiving."""

from __future__ import annotations

import uuid

from tests.fixtures.tenants import INTERNAL
from tests.services.finance.books import Books

DEFAULTS = {
    ("income", "Vendas"), ("income", "Serviços"), ("income", "Outras receitas"),
    ("expense", "Fornecedores"), ("expense", "Folha de pagamento"), ("expense", "Impostos"),
    ("expense", "Aluguel"), ("expense", "Marketing"), ("expense", "Outras despesas"),
}  # fmt: skip


def test_a_new_tenant_starts_with_the_default_categories(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    assert {(c["type"], c["name"]) for c in books.get("/categories").json()} == DEFAULTS
    assert {c["name"] for c in books.get("/categories", type="income").json()} == {
        "Vendas", "Serviços", "Outras receitas",
    }  # fmt: skip


def test_onboarding_again_changes_nothing(make_finance_tenant, finance):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    marketing = books.category("Marketing", "expense")
    books.post(f"/categories/{marketing['id']}/archive")
    again = finance.post(f"/finance/internal/tenants/{tenant.slug}/onboard", headers=INTERNAL)
    assert again.status_code == 200, again.text
    assert again.json()["schema_version"] == "0003"
    everything = books.get("/categories", include_archived=True).json()
    assert len(everything) == len(DEFAULTS)
    assert books.category("Vendas")["id"] in {c["id"] for c in everything}
    assert "Marketing" not in {c["name"] for c in books.get("/categories").json()}


def test_onboarding_a_tenant_without_a_database_is_a_404(finance):
    response = finance.post("/finance/internal/tenants/nobody-here/onboard", headers=INTERNAL)
    assert response.status_code == 404
    assert finance.post("/finance/internal/tenants/nobody-here/onboard").status_code == 401


def test_a_category_is_added_once_per_type(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    added = books.post("/categories", {"name": "Energia elétrica", "type": "expense"})
    assert added.status_code == 201
    assert added.json()["archived"] is False
    assert (
        books.post("/categories", {"name": "Energia elétrica", "type": "expense"}).status_code
        == 409
    )
    assert (
        books.post("/categories", {"name": "Energia elétrica", "type": "income"}).status_code == 201
    )


def test_an_archived_category_keeps_its_transactions_but_takes_no_new_ones(
    make_finance_tenant, finance
):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    code = books.record(account, "0.20", "expense", category="Aluguel")["code"]
    rent = books.category("Aluguel", "expense")
    archived = books.post(f"/categories/{rent['id']}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    assert books.get(f"/transactions/{code}").json()["category_id"] == rent["id"]
    refused = books.post("/transactions", {
        "description": "Aluguel dezembro", "amount": "0.20", "type": "expense",
        "category_id": rent["id"], "bank_account_id": account["id"], "transaction_date": "2026-12-01",
    })  # fmt: skip
    assert refused.status_code == 409
    assert "archived" in refused.json()["detail"]
    assert books.post(f"/categories/{uuid.uuid4()}/archive").status_code == 404
