"""The income seam: a successful payment becomes an income transaction, once per event."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from mosaico_finance.income.schemas import PaymentIncome
from mosaico_finance.income.service import record_income_from, record_payment_income
from mosaico_shared.problems import Conflict
from mosaico_shared.tenancy.names import database_name
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tests.services.finance.books import (
    Books,
    in_tenant_transaction,
    record_income,
    tenant_database,
)

PAID_AT = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _event(event_id: str, amount: str = "0.07", **extra):
    return {"event_id": event_id, "amount": Decimal(amount), "paid_at": PAID_AT,
            "description": f"Pagamento {event_id}", **extra}  # fmt: skip


def test_a_payment_is_recorded_as_income_once_per_event_id(make_finance_tenant, finance, postgres):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    account = books.open_account("1.00")

    first = record_income(postgres, tenant, **_event("evt-42"))
    again = record_income(postgres, tenant, **_event("evt-42"))
    assert first is not None
    assert again is None

    listed = books.get("/transactions").json()
    assert listed["total"] == 1
    income = listed["items"][0]
    assert income["code"] == first.code
    assert (income["type"], income["amount"], income["source"]) == ("income", "0.07", "payment")
    assert income["transaction_date"] == "2026-11-20"
    assert income["category_id"] == books.category("Vendas")["id"]
    assert income["bank_account_id"] == account["id"]
    assert books.balance(account) == Decimal("1.07")
    with tenant_database(postgres, tenant) as db:
        processed = db.execute("SELECT event_id, transaction_id FROM processed_events").fetchall()
        outbox = db.execute("SELECT payload->>'source' FROM outbox").fetchall()
    assert [(e, str(t)) for e, t in processed] == [("evt-42", income["id"])]
    assert outbox == [("payment",)]


def test_different_events_are_different_incomes(make_finance_tenant, finance, postgres):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    account = books.open_account()
    for n in range(10):
        record_income(postgres, tenant, **_event(f"evt-{n}", "0.10"))
        record_income(postgres, tenant, **_event(f"evt-{n}", "0.10"))
    assert books.get("/transactions").json()["total"] == 10
    assert books.balance(account) == Decimal("1.00")


def test_the_income_date_is_the_day_in_brasilia(make_finance_tenant, finance, postgres):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    books.open_account()
    late_evening = datetime(2026, 11, 1, 2, 30, tzinfo=UTC)  # 23:30 on 31 October in Brasília
    income = record_income(postgres, tenant, **_event("evt-night", paid_at=late_evening))
    assert income.transaction_date.isoformat() == "2026-10-31"


def test_a_failed_attempt_does_not_use_up_the_event_id(make_finance_tenant, finance, postgres):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    with pytest.raises(Conflict):
        record_income(postgres, tenant, **_event("evt-early"))
    account = books.open_account()
    assert record_income(postgres, tenant, **_event("evt-early")) is not None
    assert books.balance(account) == Decimal("0.07")


def test_the_income_goes_to_the_account_and_category_asked_for(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    books.open_account()
    savings = books.open_account(name="Recebimentos")
    services = books.category("Serviços")
    record_income(
        postgres, tenant, **_event("evt-s", bank_account_id=savings["id"], category="Serviços")
    )
    assert books.balance(savings) == Decimal("0.07")
    assert books.get("/transactions").json()["items"][0]["category_id"] == services["id"]


def test_an_event_body_from_the_bus_is_validated_then_recorded(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    account = books.open_account()
    body = {"event_id": "evt-bus", "tenant": tenant.slug, "amount": "0.07",
            "paid_at": "2026-11-20T12:00:00Z", "description": "Pix", "payment_id": "ignored"}  # fmt: skip
    event = PaymentIncome.model_validate_json(json.dumps(body))
    for _ in range(2):
        in_tenant_transaction(postgres, tenant, lambda session: record_income_from(session, event))
    assert books.balance(account) == Decimal("0.07")


@pytest.mark.parametrize(
    ("field", "value"),
    [("amount", "0"), ("amount", "-1.00"), ("amount", "0.001"), ("paid_at", "2026-11-20T12:00:00"),
     ("event_id", ""), ("event_id", "x" * 129)],
)  # fmt: skip
def test_a_malformed_event_body_is_refused_before_any_write(field, value):
    body = {
        "event_id": "evt",
        "tenant": "acme",
        "amount": "1.00",
        "paid_at": "2026-11-20T12:00:00Z",
    }
    with pytest.raises(ValidationError) as refused:
        PaymentIncome.model_validate({**body, field: value})
    assert refused.value.errors()[0]["loc"] == (field,)


def test_two_consumers_creating_the_same_category_at_once_both_record_their_income(
    make_finance_tenant, finance, postgres
):
    """Two finance replicas take the first payments of a category nobody has yet: the
    second one's insert of the category waits for the first's transaction, and then
    uses its row instead of failing on the unique name."""
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    books.open_account()
    database = database_name("finance", tenant.slug)

    async def waiting_on_a_lock(db: psycopg.AsyncConnection) -> bool:
        cursor = await db.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            [database],
        )
        row = await cursor.fetchone()
        return bool(row and row[0])

    async def race() -> None:
        engine = create_async_engine(postgres.url(database, user="finance"))
        watch = await psycopg.AsyncConnection.connect(postgres.dsn(), autocommit=True)
        try:
            async with AsyncSession(engine) as first, AsyncSession(engine) as second:
                await record_payment_income(
                    first, tenant=tenant.slug, category="Marketplace", **_event("evt-1")
                )
                racing = asyncio.create_task(
                    record_payment_income(
                        second, tenant=tenant.slug, category="Marketplace", **_event("evt-2")
                    )
                )
                for _ in range(600):
                    if racing.done() or await waiting_on_a_lock(watch):
                        break
                    await asyncio.sleep(0.05)
                await first.commit()
                await racing
                await second.commit()
        finally:
            await watch.close()
            await engine.dispose()

    asyncio.run(race())
    marketplace = books.category("Marketplace")
    listed = books.get("/transactions").json()["items"]
    assert sorted(t["category_id"] for t in listed) == [marketplace["id"]] * 2
