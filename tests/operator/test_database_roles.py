"""Least privilege in PostgreSQL, on both versions the platform meets (15, and 16+ as
CloudNativePG ships): each module's role opens only its own databases, and the operator
provisions, dumps and drops them without being a superuser."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from mosaico_devstack.postgres import OPERATOR_ROLE, LocalPostgres, _pgserver_bin, find_pg_bin
from mosaico_operator.provisioning.backups import BackupTools, dump_database
from mosaico_operator.provisioning.databases import (
    database_exists,
    drop_database,
    provision_module_database,
)
from mosaico_shared.tenancy.names import database_name

pytestmark = pytest.mark.slow


def _major(bin_dir: Path | None) -> int | None:
    if bin_dir is None or not (bin_dir / "postgres").exists():
        return None
    version = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return int(version.split()[-1].split(".")[0])


SERVERS = {_major(b): b for b in (find_pg_bin(), _pgserver_bin()) if _major(b) is not None}


@pytest.fixture(scope="module", params=[15, 16], ids=["postgres-15", "postgres-16"])
def server(request: pytest.FixtureRequest) -> Iterator[LocalPostgres]:
    """A server of that major version (the machine's, or pgserver's, which is 16)."""
    bin_dir = SERVERS.get(request.param)
    if bin_dir is None:
        # Never a skip: both majors the platform supports must hold the rules.
        pytest.fail(
            f"no PostgreSQL {request.param} here (have {sorted(SERVERS)}): "
            "tools/test-packages installs Debian's postgresql-15, the lock pins pgserver's 16",
            pytrace=False,
        )
    root = Path(tempfile.mkdtemp(prefix=f"mosaico-pg{request.param}-"))
    postgres = LocalPostgres(root / "data", bin_dir=bin_dir, durable=False).start()
    try:
        postgres.create_database("identity_platform", owner="identity")
        yield postgres
    finally:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def provision(postgres: LocalPostgres, module: str, tenant: str) -> str:
    outcome = asyncio.run(
        provision_module_database(postgres.operator_dsn(), module, tenant, module)
    )
    return outcome.database


def connects(postgres: LocalPostgres, database: str, role: str) -> bool:
    try:
        with psycopg.connect(postgres.dsn(database, user=role), connect_timeout=10):
            return True
    except psycopg.OperationalError as exc:
        if "permission denied" not in str(exc):
            raise
        return False


def test_the_operators_role_is_no_superuser_but_may_create_databases_and_roles(
    server: LocalPostgres,
) -> None:
    with psycopg.connect(server.dsn()) as conn:
        row = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
            [OPERATOR_ROLE],
        ).fetchone()
    assert row == (False, True, True)


def test_crms_role_opens_its_own_database_and_no_other_modules(server: LocalPostgres) -> None:
    tenant = f"roles-{uuid.uuid4().hex[:6]}"
    crm, identity, finance = (provision(server, m, tenant) for m in ("crm", "identity", "finance"))

    assert connects(server, crm, "crm")
    assert not connects(server, identity, "crm")
    assert not connects(server, finance, "crm")
    assert not connects(server, "identity_platform", "crm")
    assert connects(server, "identity_platform", "identity")
    assert not connects(server, crm, "finance")


def test_the_operator_dumps_and_drops_a_database_in_use_without_superuser(
    server: LocalPostgres, tmp_path: Path
) -> None:
    tenant = f"drop-{uuid.uuid4().hex[:6]}"
    database = provision(server, "crm", tenant)
    assert database == database_name("crm", tenant)
    held = psycopg.connect(server.dsn(database, user="crm"), autocommit=True)
    held.execute("CREATE TABLE leads (name text)")
    held.execute("INSERT INTO leads VALUES ('Padaria Pão Quente')")
    operator = server.operator_dsn()

    assert server.bin_dir is not None
    tools = BackupTools(
        pg_dump=str(server.bin_dir / "pg_dump"), pg_restore=str(server.bin_dir / "pg_restore")
    )
    dump = asyncio.run(dump_database(operator, database, tmp_path / "crm.dump", tools))
    assert asyncio.run(drop_database(operator, database)) is True  # crm's session is closed

    assert not asyncio.run(database_exists(operator, database))
    restored = subprocess.run(
        [str(server.bin_dir / "pg_restore"), "--list", str(dump)], capture_output=True, text=True
    )
    assert "TABLE DATA public leads" in restored.stdout
    held.close()


def test_a_database_left_open_by_an_interrupted_creation_is_closed_on_the_next_pass(
    server: LocalPostgres,
) -> None:
    tenant = f"again-{uuid.uuid4().hex[:6]}"
    database = provision(server, "finance", tenant)
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute(f'GRANT CONNECT ON DATABASE "{database}" TO PUBLIC')
    assert connects(server, database, "crm")

    provision(server, "finance", tenant)

    assert not connects(server, database, "crm")
