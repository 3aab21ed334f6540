"""Tenant databases on a real PostgreSQL: idempotent and safe under concurrency."""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from mosaico_devstack.postgres import OPERATOR_ROLE, LocalPostgres
from mosaico_operator.provisioning.backups import BackupFailed, BackupTools, dump_database
from mosaico_operator.provisioning.databases import (
    DatabaseGates,
    database_exists,
    drop_database,
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

    first = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", tenant, "crm"))
    second = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", tenant, "crm"))

    assert first.database == f"crm_{tenant.replace('-', '_')}"
    assert (first.created, second.created) == (True, False)
    assert owner_of(postgres, first.database) == "crm"


def _public_may_connect(postgres: LocalPostgres, database: str) -> bool:
    with psycopg.connect(postgres.dsn()) as conn:
        row = conn.execute(
            "SELECT has_database_privilege('public', %s, 'CONNECT')", [database]
        ).fetchone()
    assert row is not None
    return bool(row[0])


def test_drift_checks_of_many_tenants_share_one_read_of_the_catalog(
    postgres: LocalPostgres,
) -> None:
    """The drift timer asks about every Tenant's databases every few seconds: one read
    of pg_database answers them all, instead of a connection per database."""
    tenants = [slug() for _ in range(10)]
    gates = DatabaseGates(4, catalog_seconds=3600)
    dsn = postgres.operator_dsn()

    async def drift(trust: bool) -> list[bool]:
        outcomes = await asyncio.gather(
            *(provision_module_database(dsn, "crm", t, "crm", gates=gates, trust_catalog=trust)
              for t in tenants)
        )  # fmt: skip
        return [o.created for o in outcomes]

    assert asyncio.run(drift(trust=False)) == [True] * len(tenants)
    for _ in range(3):
        assert asyncio.run(drift(trust=True)) == [False] * len(tenants)
    assert gates.catalog_reads == 1


def test_a_drift_check_repairs_what_the_catalog_shows_out_of_place(
    postgres: LocalPostgres,
) -> None:
    """A database dropped by hand is created again, and one whose CONNECT was granted
    back to PUBLIC is revoked again, at the first check after the catalog is read."""
    dropped, opened = slug(), slug()
    gates = DatabaseGates(4, catalog_seconds=0)
    dsn = postgres.operator_dsn()

    async def check(tenant: str, trust: bool = True) -> bool:
        outcome = await provision_module_database(
            dsn, "crm", tenant, "crm", gates=gates, trust_catalog=trust
        )
        return outcome.created

    assert asyncio.run(check(dropped, trust=False))
    assert asyncio.run(check(opened, trust=False))
    assert asyncio.run(drop_database(postgres.dsn(), f"crm_{dropped.replace('-', '_')}"))
    opened_db = f"crm_{opened.replace('-', '_')}"
    with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
        conn.execute(f'GRANT CONNECT ON DATABASE "{opened_db}" TO PUBLIC')
    assert _public_may_connect(postgres, opened_db)

    assert asyncio.run(check(dropped)) is True
    assert asyncio.run(check(opened)) is False
    assert not _public_may_connect(postgres, opened_db)


def test_concurrent_reconciles_of_one_tenant_create_its_database_exactly_once(
    postgres: LocalPostgres,
) -> None:
    """Creations race, and then every reconcile's REVOKE on the same database races
    too ("tuple concurrently updated" in the catalog): all of them succeed."""

    async def race(tenant: str, reconciles: int) -> list[bool]:
        results = await asyncio.gather(
            *(
                provision_module_database(postgres.operator_dsn(), "finance", tenant, "finance")
                for _ in range(reconciles)
            )
        )
        return [r.created for r in results]

    for tenant in [slug() for _ in range(4)]:
        assert asyncio.run(race(tenant, 12)).count(True) == 1
        assert asyncio.run(race(tenant, 24)).count(True) == 0


def test_many_tenants_at_once_all_get_their_databases(postgres: LocalPostgres) -> None:
    tenants = [slug() for _ in range(20)]

    async def provision_all() -> None:
        await asyncio.gather(
            *(
                provision_module_database(postgres.operator_dsn(), m, t, m)
                for t in tenants
                for m in ("crm", "commerce")
            )
        )

    asyncio.run(provision_all())

    for tenant in tenants:
        for module in ("crm", "commerce"):
            assert owner_of(postgres, f"{module}_{tenant.replace('-', '_')}") == module


def test_dump_then_drop_leaves_a_restorable_file_and_no_database(
    postgres: LocalPostgres, tmp_path: Path
) -> None:
    tenant = slug()
    outcome = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", tenant, "crm"))
    with psycopg.connect(postgres.dsn(outcome.database, user="crm"), autocommit=True) as conn:
        conn.execute("CREATE TABLE leads (name text)")
        conn.execute("INSERT INTO leads VALUES ('Padaria Pão Quente')")

    operator = postgres.operator_dsn()  # no superuser (see test_database_roles.py)
    dump = asyncio.run(dump_database(operator, outcome.database, tmp_path / "crm.dump"))
    dropped = asyncio.run(drop_database(operator, outcome.database))

    assert dropped is True
    assert not asyncio.run(database_exists(operator, outcome.database))
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert asyncio.run(drop_database(operator, outcome.database)) is False
    assert [p.name for p in tmp_path.iterdir()] == ["crm.dump"]  # no partial file left
    restored = subprocess.run(
        ["pg_restore", "--file=-", str(dump)], capture_output=True, text=True, check=True
    )
    assert "Padaria Pão Quente" in restored.stdout


def shim(folder: Path, name: str, body: str) -> str:
    """An executable ``name`` in ``folder`` running ``body`` (sh) with the real tool's
    arguments; it records what it was given and then runs (or imitates) the real tool."""
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_pg_dump_gets_the_password_in_its_environment_never_on_its_command_line(
    postgres: LocalPostgres, tmp_path: Path
) -> None:
    tenant = slug()
    outcome = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", tenant, "crm"))
    seen = tmp_path / "seen"
    seen.mkdir()
    real = shutil.which("pg_dump")
    pg_dump = shim(
        tmp_path,
        "pg_dump",
        f'printf "%s\\n" "$@" > {seen}/argv; echo "$PGPASSWORD" > {seen}/password; '
        f'exec {real} "$@"',
    )
    dsn = postgres.operator_dsn()
    password = postgres.password(OPERATOR_ROLE)

    dump = asyncio.run(
        dump_database(dsn, outcome.database, tmp_path / "crm.dump", BackupTools(pg_dump=pg_dump))
    )

    assert dump.read_bytes()[:5] == b"PGDMP"
    assert password not in (seen / "argv").read_text()
    assert (seen / "password").read_text().strip() == password


def test_a_backup_folder_that_cannot_be_written_is_a_backup_failure(
    postgres: LocalPostgres, tmp_path: Path
) -> None:
    tenant = slug()
    outcome = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", tenant, "crm"))
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")

    for target in (tmp_path / "missing" / "crm.dump", not_a_folder / "crm.dump"):
        with pytest.raises(BackupFailed) as failure:
            asyncio.run(dump_database(postgres.operator_dsn(), outcome.database, target))
        assert failure.value.retryable
        assert str(target.parent) in failure.value.message
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_backup_folder_is_a_backup_failure(
    postgres: LocalPostgres, tmp_path: Path
) -> None:
    outcome = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", slug(), "crm"))
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o555)

    with pytest.raises(BackupFailed, match="not writable"):
        asyncio.run(dump_database(postgres.operator_dsn(), outcome.database, folder / "crm.dump"))


def test_a_missing_pg_dump_is_a_backup_failure(postgres: LocalPostgres, tmp_path: Path) -> None:
    outcome = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", slug(), "crm"))
    tools = BackupTools(pg_dump=str(tmp_path / "no-such-pg_dump"))

    with pytest.raises(BackupFailed, match="cannot run"):
        asyncio.run(
            dump_database(postgres.operator_dsn(), outcome.database, tmp_path / "crm.dump", tools)
        )


def test_a_dump_that_does_not_read_back_is_not_kept(
    postgres: LocalPostgres, tmp_path: Path
) -> None:
    outcome = asyncio.run(provision_module_database(postgres.operator_dsn(), "crm", slug(), "crm"))
    # Exits 0 but writes something that is no dump (a full disk, a broken pipe...).
    pg_dump = shim(
        tmp_path,
        "pg_dump",
        'for a in "$@"; do case "$a" in --file=*) echo garbage > "${a#--file=}";; esac; done',
    )
    backups = tmp_path / "backups"
    backups.mkdir()

    with pytest.raises(BackupFailed, match="does not read back"):
        asyncio.run(
            dump_database(
                postgres.operator_dsn(),
                outcome.database,
                backups / "crm.dump",
                BackupTools(pg_dump=pg_dump),
            )
        )

    assert list(backups.iterdir()) == []


def test_an_unreachable_server_is_a_retryable_database_error() -> None:
    with pytest.raises(DatabaseUnavailable) as failure:
        asyncio.run(
            provision_module_database(
                "postgresql://postgres@127.0.0.1:9/postgres", "crm", slug(), "mosaico"
            )
        )

    assert failure.value.retryable
    assert "127.0.0.1:9" in failure.value.message


def test_an_admin_dsn_that_does_not_parse_is_never_quoted() -> None:
    garbled = "host=127.0.0.1 user=postgres pasted-password-123"

    with pytest.raises(DatabaseUnavailable) as failure:
        asyncio.run(provision_module_database(garbled, "crm", slug(), "mosaico"))

    assert failure.value.reason == "InvalidDatabaseDsn"
    assert "pasted-password-123" not in str(failure.value)
