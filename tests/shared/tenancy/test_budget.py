"""One pod's connections stay within its budget, however many tenants it serves."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
from mosaico_shared.tenancy.budget import DatabaseBusy
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name
from sqlalchemy import text

MODULE = "budget"
TENANTS = [f"b{n:02d}" for n in range(24)]


@pytest.fixture(scope="module")
def tenant_databases(postgres):
    for tenant in TENANTS:
        postgres.create_database(database_name(MODULE, tenant))
    return TENANTS


def server_connections(postgres) -> int:
    """Connections PostgreSQL itself counts on the module's databases."""
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE %s", [MODULE + "\\_%"]
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_tenants_served_round_robin_never_hold_more_than_the_budget(postgres, tenant_databases):
    budget = 4

    async def scenario() -> tuple[list[str], int, int]:
        databases = TenantDatabases(postgres.app_url, MODULE, connection_budget=budget)
        seen: list[str] = []
        peak = 0

        async def serve(tenant: str) -> None:
            nonlocal peak
            async with databases.engine_for(tenant).connect() as connection:
                seen.append(await connection.scalar(text("SELECT current_database()")))
                await asyncio.sleep(0.01)  # a request's work, so that they overlap
                peak = max(peak, databases.budget.held)

        # Three rounds over every tenant, eight requests at a time.
        queue = [t for _ in range(3) for t in tenant_databases]
        for start in range(0, len(queue), 8):
            await asyncio.gather(*(serve(t) for t in queue[start : start + 8]))
            peak = max(peak, await asyncio.to_thread(server_connections, postgres))
        held = databases.budget.held
        await databases.dispose_all()
        return seen, peak, held

    seen, peak, held = asyncio.run(scenario())
    assert sorted(seen) == sorted(
        database_name(MODULE, t) for _ in range(3) for t in tenant_databases
    )
    assert 0 < peak <= budget
    assert held <= budget
    assert server_connections(postgres) == 0


def test_a_request_waits_for_a_connection_then_the_database_is_busy(postgres, tenant_databases):
    async def scenario() -> tuple[str, str | None]:
        databases = TenantDatabases(postgres.app_url, MODULE, connection_budget=2, pool_timeout=0.3)
        first, second, third = (databases.engine_for(t) for t in tenant_databases[:3])
        async with first.connect(), second.connect():
            with pytest.raises(DatabaseBusy) as busy:
                async with third.connect():
                    pass
        # Both returned: the third tenant gets one of their slots.
        async with third.connect() as connection:
            name = await connection.scalar(text("SELECT current_database()"))
        await databases.dispose_all()
        return str(busy.value), name

    message, name = asyncio.run(scenario())
    assert "all 2 database connections" in message
    assert name == database_name(MODULE, tenant_databases[2])


def test_a_connection_the_server_closed_while_idle_is_replaced(postgres, tenant_databases):
    tenant = tenant_databases[5]

    async def scenario() -> str:
        databases = TenantDatabases(postgres.app_url, MODULE)
        engine = databases.engine_for(tenant)
        async with engine.connect() as connection:
            await connection.scalar(text("SELECT 1"))
        # A failover, or PgBouncer's idle timeout, has closed the pooled connection.
        await asyncio.to_thread(terminate, postgres, database_name(MODULE, tenant))
        async with engine.connect() as connection:
            name = await connection.scalar(text("SELECT current_database()"))
        held = databases.budget.held
        await databases.dispose_all()
        assert held == 1  # the dead one was given back
        return str(name)

    assert asyncio.run(scenario()) == database_name(MODULE, tenant)


def terminate(postgres, database: str) -> None:
    """Close the database's connections from the server side, and return once the
    server is done with them (``pg_terminate_backend`` only signals the backends)."""
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            [database],
        )
        for _ in range(500):
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]
            ).fetchone()
            if row is not None and row[0] == 0:
                return
            time.sleep(0.01)
        raise AssertionError(f"the connections to {database} are still open")


@pytest.mark.parametrize("pooler", [True, False])
def test_through_a_transaction_pooler_nothing_is_prepared(postgres, tenant_databases, pooler):
    tenant = tenant_databases[6]

    async def scenario() -> int:
        databases = TenantDatabases(postgres.app_url, MODULE, transaction_pooler=pooler)
        async with databases.engine_for(tenant).connect() as connection:
            # psycopg prepares a statement on its sixth run by default.
            for _ in range(8):
                await connection.scalar(text("SELECT 1"))
            prepared = await connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
        await databases.dispose_all()
        return int(prepared or 0)

    prepared = asyncio.run(scenario())
    assert prepared == 0 if pooler else prepared > 0
