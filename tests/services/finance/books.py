"""Small factories: a tenant's books driven through the finance API, and direct access
to its database for what the API does not show (outbox, processed events)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from mosaico_devstack.postgres import LocalPostgres
from mosaico_finance.income.service import record_payment_income
from mosaico_shared.tenancy.names import database_name
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tests.fixtures.tenants import TestTenant

_account_numbers = itertools.count(10_000)


class Books:
    """One user's view of a tenant's finance module."""

    def __init__(self, finance: TestClient, headers: dict[str, str]) -> None:
        self.api = finance
        self.headers = headers

    @classmethod
    def of(cls, finance: TestClient, tenant: TestTenant, login: str | None = None,
           password: str | None = None) -> Books:  # fmt: skip
        return cls(finance, access_headers(tenant, login, password))

    def get(self, path: str, **params: Any) -> Any:
        return self.api.get(f"/finance/v1{path}", headers=self.headers, params=params)

    def post(self, path: str, json: Any = None) -> Any:
        return self.api.post(f"/finance/v1{path}", headers=self.headers, json=json)

    def patch(self, path: str, json: Any) -> Any:
        return self.api.patch(f"/finance/v1{path}", headers=self.headers, json=json)

    def delete(self, path: str) -> Any:
        return self.api.delete(f"/finance/v1{path}", headers=self.headers)

    def open_account(self, opening: str = "0.00", name: str = "Conta movimento") -> dict[str, Any]:
        response = self.post(
            "/accounts",
            {
                "name": name,
                "bank_code": "341",
                "agency": "0123",
                "account_number": f"{next(_account_numbers)}-9",
                "account_type": "checking",
                "opening_balance": opening,
            },
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def category(self, name: str, type: str = "income") -> dict[str, Any]:
        found = [c for c in self.get("/categories", type=type).json() if c["name"] == name]
        assert found, f"no {type} category {name!r}"
        return dict(found[0])

    def record(
        self,
        account: dict[str, Any],
        amount: str | Decimal,
        type: str = "income",
        *,
        category: str | None = None,
        on: str = "2026-11-10",
        description: str = "Lançamento",
    ) -> dict[str, Any]:
        response = self.record_raw(account, amount, type, category=category, on=on,
                                   description=description)  # fmt: skip
        assert response.status_code == 201, response.text
        return dict(response.json())

    def record_raw(self, account: dict[str, Any], amount: Any, type: str = "income", *,
                   category: str | None = None, on: str = "2026-11-10",
                   description: str = "Lançamento") -> Any:  # fmt: skip
        name = category or ("Vendas" if type == "income" else "Fornecedores")
        return self.post(
            "/transactions",
            {
                "description": description,
                "amount": str(amount) if isinstance(amount, Decimal) else amount,
                "type": type,
                "category_id": self.category(name, type)["id"],
                "bank_account_id": account["id"],
                "transaction_date": on,
            },
        )

    def balance(self, account: dict[str, Any]) -> Decimal:
        response = self.get(f"/accounts/{account['id']}")
        assert response.status_code == 200, response.text
        return Decimal(response.json()["balance"])


def access_headers(tenant: TestTenant, login: str | None, password: str | None) -> dict[str, str]:
    """Log in once: identity commits a user before it answers 201, so a login right
    after it must succeed (no retry here could hide it if that broke again)."""
    body = {"tenant": tenant.slug, "login": login or tenant.admin_cpf,
            "password": password or tenant.admin_password}  # fmt: skip
    response = tenant.identity.post("/identity/v1/auth/login", json=body)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextmanager
def tenant_database(postgres: LocalPostgres, tenant: TestTenant) -> Iterator[psycopg.Connection]:
    """A direct connection to ``finance_<tenant>`` (to look at what the API does not show)."""
    with psycopg.connect(postgres.dsn(database_name("finance", tenant.slug)), autocommit=True) as c:
        yield c


def record_income(postgres: LocalPostgres, tenant: TestTenant, **event: Any) -> Any:
    """Run the income handler in its own transaction, as the event consumer will."""
    return in_tenant_transaction(
        postgres,
        tenant,
        lambda session: record_payment_income(session, tenant=tenant.slug, **event),
    )


def in_tenant_transaction(
    postgres: LocalPostgres, tenant: TestTenant, work: Callable[[AsyncSession], Awaitable[Any]]
) -> Any:
    """``work(session)`` on the tenant's finance database, committed when it returns."""

    async def run() -> Any:
        url = postgres.url(database_name("finance", tenant.slug), user="finance")
        engine = create_async_engine(url)
        try:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())
