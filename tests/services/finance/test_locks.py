"""Concurrent edits of one transaction queue behind a row lock, so each audit entry is
its author's change; recordings serialize only where a monthly limit needs counting."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from mosaico_devstack.postgres import module_role
from mosaico_finance.transactions import service
from mosaico_finance.transactions.schemas import TransactionCreate, TransactionUpdate
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.tenancy.names import database_name
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tests.fixtures.tenants import valid_cnpj
from tests.services.finance.books import Books


async def _waiting_for_a_lock(session: AsyncSession, pid: int) -> None:
    """Return once backend ``pid`` waits for a lock (bounded: a broken setup fails)."""
    for _ in range(600):
        state = await session.scalar(
            text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
        )
        if state == "Lock":
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"backend {pid} never waited for a lock")


def _on_tenant(postgres, tenant, work: Callable[[Any], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        engine = create_async_engine(
            # finance's own role: only it (and the operator) may open finance's databases.
            postgres.url(database_name("finance", tenant.slug), user=module_role("finance"))
        )
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_concurrent_edits_each_record_their_own_change_under_their_own_name(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    code = books.record(books.open_account(), "10.00")["code"]
    alice, bob = str(uuid.uuid4()), str(uuid.uuid4())

    async def race(engine) -> None:
        async with (
            AsyncSession(engine) as first,
            AsyncSession(engine) as second,
            AsyncSession(engine) as observer,
        ):
            await service.update_transaction(
                first, code=code, actor=alice, body=TransactionUpdate(amount="20.00")
            )
            second_pid = await second.scalar(text("SELECT pg_backend_pid()"))
            edit = asyncio.create_task(
                service.update_transaction(
                    second, code=code, actor=bob, body=TransactionUpdate(description="Corrigido")
                )
            )
            await _waiting_for_a_lock(observer, second_pid)
            await first.commit()
            await edit
            await second.commit()

    _on_tenant(postgres, tenant, race)

    trail = books.get(f"/transactions/{code}/audit").json()
    by_alice, by_bob = trail[1], trail[2]
    assert (by_alice["actor"], by_bob["actor"]) == (alice, bob)
    assert (by_alice["before"]["amount"], by_alice["after"]["amount"]) == ("10.00", "20.00")
    # Bob changed the description only: the amount was already 20.00 when he read it.
    assert by_bob["before"] == by_alice["after"]
    assert by_bob["before"]["amount"] == by_bob["after"]["amount"] == "20.00"
    assert by_bob["after"]["description"] == "Corrigido"


def test_a_deletion_waits_for_a_concurrent_edit_and_records_what_it_deleted(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    code = books.record(books.open_account(), "10.00")["code"]

    async def race(engine) -> None:
        async with (
            AsyncSession(engine) as editor,
            AsyncSession(engine) as deleter,
            AsyncSession(engine) as observer,
        ):
            await service.update_transaction(
                editor, code=code, actor="editor", body=TransactionUpdate(amount="30.00")
            )
            deleter_pid = await deleter.scalar(text("SELECT pg_backend_pid()"))
            deletion = asyncio.create_task(
                service.delete_transaction(deleter, code=code, actor="deleter")
            )
            await _waiting_for_a_lock(observer, deleter_pid)
            await editor.commit()
            await deletion
            await deleter.commit()

    _on_tenant(postgres, tenant, race)

    deleted = books.get(f"/transactions/{code}/audit").json()[-1]
    assert deleted["action"] == "deleted"
    assert deleted["before"]["amount"] == "30.00"


def _record(books: Books, tenant, limits: dict[str, int | None]):
    body = TransactionCreate.model_validate({
        "description": "Venda", "amount": "1.00", "type": "income",
        "category_id": books.category("Vendas")["id"],
        "bank_account_id": books.open_account()["id"], "transaction_date": "2026-11-20",
    })  # fmt: skip
    record = TenantRecord(slug=tenant.slug, display_name="X", cnpj=valid_cnpj(1), plan="empresa",
                          limits=limits, modules=["finance"])  # fmt: skip

    async def advisory_locks_held_after_recording(engine) -> int:
        async with AsyncSession(engine) as session:
            await service.record_transaction(session, tenant=record, actor="a", body=body)
            held = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
                )
            )
            await session.rollback()
            return int(held or 0)

    return advisory_locks_held_after_recording


def test_recordings_on_an_unlimited_plan_take_no_recording_lock(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)

    assert _on_tenant(postgres, tenant, _record(books, tenant, {"max_transactions": None})) == 0
    assert _on_tenant(postgres, tenant, _record(books, tenant, {"max_transactions": 100})) == 1
