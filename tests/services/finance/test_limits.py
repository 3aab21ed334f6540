"""The plan's ``max_transactions`` per month."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from mosaico_finance.transactions import service
from mosaico_finance.transactions.schemas import TransactionCreate
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.problems import LimitExceeded
from mosaico_shared.tenancy.names import database_name
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tests.fixtures.tenants import valid_cnpj
from tests.services.finance.books import Books, record_income, tenant_database


def test_the_plans_monthly_transaction_limit_is_a_clear_403(make_finance_tenant, finance, postgres):
    tenant = make_finance_tenant(limits={"max_transactions": 3})
    books = Books.of(finance, tenant)
    account = books.open_account()
    for _ in range(3):
        books.record(account, "0.10")
    refused = books.record_raw(account, "0.10")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/limit-exceeded")
    assert problem["limit"] == "max_transactions"
    assert problem["max"] == 3
    assert "3 transactions a month" in problem["detail"]
    assert books.get("/transactions").json()["total"] == 3
    with tenant_database(postgres, tenant) as db:
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 3


def test_a_deleted_transaction_frees_its_slot(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant(limits={"max_transactions": 1}))
    account = books.open_account()
    code = books.record(account, "1.00")["code"]
    assert books.record_raw(account, "1.00").status_code == 403
    books.delete(f"/transactions/{code}")
    assert books.record_raw(account, "1.00").status_code == 201


def test_income_from_payments_is_recorded_even_past_the_limit(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant(limits={"max_transactions": 1})
    books = Books.of(finance, tenant)
    account = books.open_account()
    books.record(account, "1.00")
    record_income(postgres, tenant, event_id="pay-1", amount=Decimal("5.00"),
                  paid_at=datetime.now(UTC), description="Pix")  # fmt: skip
    assert books.balance(account) == Decimal("6.00")


def test_without_a_limit_there_is_none(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    for _ in range(5):
        books.record(account, "0.01")
    assert books.balance(account) == Decimal("0.05")


def test_two_recordings_racing_for_the_last_slot_cannot_both_take_it(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant(limits={"max_transactions": 1})
    books = Books.of(finance, tenant)
    body = TransactionCreate.model_validate({
        "description": "Corrida", "amount": "0.10", "type": "income",
        "category_id": books.category("Vendas")["id"],
        "bank_account_id": books.open_account()["id"], "transaction_date": "2026-11-20",
    })  # fmt: skip
    record = TenantRecord(slug=tenant.slug, display_name="X", cnpj=valid_cnpj(1), plan="empresa",
                          limits={"max_transactions": 1}, modules=["finance"])  # fmt: skip

    async def race() -> list[object]:
        engine = create_async_engine(
            postgres.url(database_name("finance", tenant.slug), user="finance")
        )
        both_counted = asyncio.Barrier(2)

        async def attempt() -> object:
            async with AsyncSession(engine) as session:
                await session.connection()
                await both_counted.wait()  # both transactions are open before either records
                try:
                    await service.record_transaction(
                        session, tenant=record, actor=str(uuid.uuid4()), body=body
                    )
                    await asyncio.sleep(0.2)  # hold the slot a moment before committing
                    await session.commit()
                    return "recorded"
                except LimitExceeded:
                    return "refused"

        try:
            return await asyncio.gather(attempt(), attempt())
        finally:
            await engine.dispose()

    assert sorted(asyncio.run(race())) == ["recorded", "refused"]
    assert books.get("/transactions").json()["total"] == 1
