"""Tenant databases on a real PostgreSQL: idempotent and safe under concurrency."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import psycopg
import pytest
from mosaico_devstack.postgres import LocalPostgres
from mosaico_operator.provisioning.databases import (
    database_exists,
    drop_database,
    dump_database,
    provision_module_database,
)
from mosaico_operator.provisioning.errors import DatabaseUnavailable


def slug() -> str:
    return f"db-{uuid.uuid4().hex[:8]}"


def owner_of(postgres: LocalPostgres, database: str) -> str | None:
    with psycopg.connect(postgres.dsn()) as conn:
        row = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
    return row[0] if row else None


def test_the_database_is_created_once_owned_by_the_module_role(postgres: LocalPostgres) -> None:
    tenant = slug()

    first = asyncio.run(provision_module_database(postgres.dsn(), "crm", tenant, "mosaico"))
    second = asyncio.run(provision_module_database(postgres.dsn(), "crm", tenant, "mosaico"))

    assert first.database == f"crm_{tenant.replace('-', '_')}"
    assert (first.created, second.created) == (True, False)
    assert owner_of(postgres, first.database) == "mosaico"


def test_concurrent_reconciles_of_one_tenant_create_its_database_exactly_once(
    postgres: LocalPostgres,
) -> None:
    tenant = slug()

    async def race() -> list[bool]:
        results = await asyncio.gather(
            *(
                provision_module_database(postgres.dsn(), "finance", tenant, "mosaico")
                for _ in range(12)
            )
        )
        return [r.created for r in results]

    created = asyncio.run(race())

    assert created.count(True) == 1


def test_many_tenants_at_once_all_get_their_databases(postgres: LocalPostgres) -> None:
    tenants = [slug() for _ in range(20)]

    async def provision_all() -> None:
        await asyncio.gather(
            *(
                provision_module_database(postgres.dsn(), m, t, "mosaico")
                for t in tenants
                for m in ("crm", "commerce")
            )
        )

    asyncio.run(provision_all())

    for tenant in tenants:
        for module in ("crm", "commerce"):
            assert owner_of(postgres, f"{module}_{tenant.replace('-', '_')}") == "mosaico"


def test_dump_then_drop_leaves_a_restorable_file_and_no_database(
    postgres: LocalPostgres, tmp_path: Path
) -> None:
    tenant = slug()
    outcome = asyncio.run(provision_module_database(postgres.dsn(), "crm", tenant, "mosaico"))
    with psycopg.connect(postgres.dsn(outcome.database), autocommit=True) as conn:
        conn.execute("CREATE TABLE leads (name text)")
        conn.execute("INSERT INTO leads VALUES ('Padaria Pão Quente')")

    dump = asyncio.run(dump_database(postgres.dsn(), outcome.database, tmp_path))
    dropped = asyncio.run(drop_database(postgres.dsn(), outcome.database))

    assert dropped is True
    assert not asyncio.run(database_exists(postgres.dsn(), outcome.database))
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert asyncio.run(drop_database(postgres.dsn(), outcome.database)) is False


def test_an_unreachable_server_is_a_retryable_database_error() -> None:
    with pytest.raises(DatabaseUnavailable) as failure:
        asyncio.run(
            provision_module_database(
                "postgresql://postgres@127.0.0.1:9/postgres", "crm", slug(), "mosaico"
            )
        )

    assert failure.value.retryable
    assert "127.0.0.1:9" in failure.value.message
