"""A write is committed before its response leaves, so a client that got 201 can read
it at once, and never hears of a success whose commit then failed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from mosaico_finance.main import create_app
from mosaico_finance.settings import FinanceSettings

from tests.fixtures.callers import internal_auth_settings
from tests.services.finance.books import Books, tenant_database


class CommitProbe:
    """ASGI wrapper: as a response starts, count the tenant's transactions through
    another connection (what a client racing to read its own write would see)."""

    def __init__(self, app, count) -> None:
        self.app, self.count, self.seen = app, count, []

    async def __call__(self, scope, receive, send):
        async def probing_send(message):
            if message["type"] == "http.response.start" and scope.get("method") == "POST":
                self.seen.append(self.count())
            await send(message)

        await self.app(scope, receive, probing_send)


def test_a_recorded_transaction_is_committed_before_the_201_leaves(
    make_finance_tenant, finance, postgres, identity_server
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    account = books.open_account()
    category = books.category("Vendas")["id"]

    def committed_transactions() -> int:
        with tenant_database(postgres, tenant) as db:
            return db.execute("SELECT count(*) FROM financial_transactions").fetchone()[0]

    settings = FinanceSettings(database_url=postgres.module_url("finance"), **internal_auth_settings("finance"),
                               identity_url=identity_server, tenant_status_ttl_seconds=0.01)  # fmt: skip
    probe = CommitProbe(create_app(settings), committed_transactions)
    with TestClient(probe, raise_server_exceptions=False) as client:
        response = client.post("/finance/v1/transactions", headers=books.headers, json={
            "description": "Venda", "amount": "0.10", "type": "income", "category_id": category,
            "bank_account_id": account["id"], "transaction_date": "2026-11-20"})  # fmt: skip
    assert response.status_code == 201, response.text
    assert probe.seen == [1]
