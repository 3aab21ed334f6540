"""The event backbone on a real NATS server and a real PostgreSQL: a payments-like
producer and finance's consumer, in this process, each with its own NATS connection."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
import pytest
from mosaico_devstack.postgres import LocalPostgres
from mosaico_finance.main import TENANT_MIGRATIONS as FINANCE_MIGRATIONS
from mosaico_finance.settings import FinanceSettings
from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.events.consumer import EventConsumer
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.migrations import upgrade_database
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name

from tests.events.payments import MODULE as PAYMENTS
from tests.events.payments import PaymentsOutbox, create_payments_database
from tests.fixtures.callers import internal_auth_settings

T = TypeVar("T")
_tenants = itertools.count(1)

#: Short waits, so retries and sweeps happen within a test.
FAST: dict[str, Any] = {
    "events_sweep_interval_seconds": 0.5,
    "events_sweep_grace_seconds": 0.0,
    # Long enough that a transaction queued behind others on a loaded machine is not
    # taken for a hung handler; the hung-handler test waits three of these.
    "events_ack_wait_seconds": 8.0,
    "events_max_deliver": 3,
    "events_backoff_seconds": [0.1, 0.2],
    "events_stats_interval_seconds": 0.3,
    "events_reconnect_seconds": 0.2,
    "events_publish_timeout_seconds": 2.0,
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def eventually(
    check: Callable[[], Awaitable[T | None]], *, what: str, timeout: float = 60.0
) -> T:
    """``check()``'s first truthy result, without blocking the event loop."""
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting: {what}")
        await asyncio.sleep(0.05)
    return result


def new_tenant() -> str:
    return f"ev{os.getpid()}-{next(_tenants)}"


def payer_tenant(postgres: LocalPostgres, *, bank_account: bool = True) -> str:
    """A tenant with a payments database and a finance database (migrated, as onboarding
    leaves it), with an active bank account unless told otherwise."""
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    name = database_name("finance", tenant)
    postgres.create_database(name)
    upgrade_database(FINANCE_MIGRATIONS, postgres.url(name, user="mosaico"))
    if bank_account:
        open_bank_account(postgres, tenant)
    return tenant


def open_bank_account(postgres: LocalPostgres, tenant: str) -> None:
    with psycopg.connect(postgres.dsn(database_name("finance", tenant)), autocommit=True) as db:
        db.execute(
            "INSERT INTO bank_accounts (id, name, bank_code, agency, account_number,"
            " account_type, opening_balance, active)"
            " VALUES (gen_random_uuid(), 'Conta', '341', '0001', '12345-6', 'checking', 0, true)"
        )


def finance_db(postgres: LocalPostgres, tenant: str) -> psycopg.Connection[Any]:
    return psycopg.connect(postgres.dsn(database_name("finance", tenant)), autocommit=True)


def payments_db(postgres: LocalPostgres, tenant: str) -> psycopg.Connection[Any]:
    return psycopg.connect(postgres.dsn(database_name(PAYMENTS, tenant)), autocommit=True)


def incomes(postgres: LocalPostgres, tenant: str) -> list[tuple[str, str]]:
    """(processed event id, amount) of every payment income recorded for ``tenant``."""
    with finance_db(postgres, tenant) as db:
        return [
            (str(e), str(a))
            for e, a in db.execute(
                "SELECT p.event_id, t.amount FROM processed_events p"
                " JOIN financial_transactions t ON t.id = p.transaction_id ORDER BY 1"
            )
        ]


def unpublished(postgres: LocalPostgres, tenant: str) -> int:
    with payments_db(postgres, tenant) as db:
        row = db.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()
        assert row is not None
        return int(row[0])


@dataclass
class Running:
    """A backbone running in this event loop, with its databases."""

    databases: TenantDatabases
    backbone: EventBackbone

    @property
    def connected(self) -> bool:
        assert self.backbone.bus is not None
        return self.backbone.bus.connected


@asynccontextmanager
async def running_backbone(
    postgres: LocalPostgres,
    nats_url: str | None,
    module: str,
    *,
    outbox: Any = None,
    consumers: list[EventConsumer] | None = None,
    wait: bool = True,
    **overrides: Any,
) -> AsyncIterator[Running]:
    settings = EventSettings(nats_url=nats_url, **{**FAST, **overrides})
    # A pod's budget (pools of 5), but requests queue for it rather than getting the
    # pool's 503: these tests send hundreds of commits at once on a loaded machine, and
    # are about what the backbone does with them.
    databases = TenantDatabases(postgres.app_url, module, pool_timeout=120)
    backbone = EventBackbone(settings, module, outbox=outbox, consumers=consumers or [])
    backbone.start(databases)
    try:
        if wait and nats_url:
            assert backbone.bus is not None
            await asyncio.wait_for(backbone.bus.wait_connected(), 30)
        yield Running(databases, backbone)
    finally:
        await backbone.stop(databases)
        await databases.dispose_all()


def running_payments(postgres: LocalPostgres, nats_url: str | None, **kw: Any) -> Any:
    """The payments-like producer's backbone."""
    return running_backbone(postgres, nats_url, PAYMENTS, outbox=PaymentsOutbox, **kw)


def running_finance_consumer(postgres: LocalPostgres, nats_url: str, **kw: Any) -> Any:
    """A finance replica consuming ``PaymentSucceeded`` (no HTTP, just the backbone)."""
    from mosaico_finance.income.events import payment_income

    return running_backbone(postgres, nats_url, "finance", consumers=[payment_income], **kw)


def finance_settings(postgres: LocalPostgres, nats_url: str, **overrides: Any) -> FinanceSettings:
    values: dict[str, Any] = {
        "database_url": postgres.app_url,
        **internal_auth_settings("finance"),
        "identity_url": "http://127.0.0.1:9",
        "nats_url": nats_url,
        **FAST,
        **overrides,
    }
    return FinanceSettings(**values)
