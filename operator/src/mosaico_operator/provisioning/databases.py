"""Per-tenant databases on a module's PostgreSQL server: create, check, dump and drop.

Many tenants are reconciled at once (and a peer operator may race this one), so every
statement tolerates having been done already by someone else.
"""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass
from pathlib import Path

import psycopg
from mosaico_shared.tenancy.names import database_name
from psycopg import errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from mosaico_operator.provisioning.errors import DatabaseUnavailable

#: Another CREATE DATABASE copying template1 at the same moment; it passes in a moment.
_TRANSIENT = (errors.ObjectInUse, errors.LockNotAvailable, errors.SerializationFailure)
_ATTEMPTS = 5
_CONNECT_TIMEOUT = 10


class DatabaseGates:
    """At most ``limit`` admin connections at once per PostgreSQL server.

    Hundreds of tenants reconciled together would otherwise open hundreds of
    connections and hit ``max_connections``, which the services need too.
    """

    def __init__(self, limit: int = 8) -> None:
        self.limit = limit
        self._gates: dict[str, asyncio.Semaphore] = {}

    def for_server(self, admin_dsn: str) -> asyncio.Semaphore:
        return self._gates.setdefault(_where(admin_dsn), asyncio.Semaphore(self.limit))


@dataclass(frozen=True)
class DatabaseOutcome:
    database: str
    created: bool


def _where(admin_dsn: str) -> str:
    """host:port of a DSN, for messages (never the password)."""
    parts = conninfo_to_dict(admin_dsn)
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}"


async def _connect(admin_dsn: str, database: str = "postgres") -> psycopg.AsyncConnection[object]:
    try:
        return await psycopg.AsyncConnection.connect(
            make_conninfo(admin_dsn, dbname=database, connect_timeout=_CONNECT_TIMEOUT),
            autocommit=True,
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            "DatabaseUnavailable", f"PostgreSQL at {_where(admin_dsn)} is unreachable: {exc}"
        ) from exc


async def database_exists(admin_dsn: str, database: str) -> bool:
    """True when ``database`` exists on the server."""
    async with await _connect(admin_dsn) as conn:
        cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        return await cursor.fetchone() is not None


async def provision_module_database(
    admin_dsn: str,
    module: str,
    tenant: str,
    owner: str,
    *,
    gates: DatabaseGates | None = None,
) -> DatabaseOutcome:
    """CREATE DATABASE ``<module>_<tenant>`` OWNER ``owner`` unless it exists.

    Idempotent, and safe when several reconciles (or operators) create it at once: a
    concurrent creation surfaces as duplicate_database or as a unique violation on
    pg_database, both meaning "it exists now". ``gates`` bounds the connections opened
    to one server by all callers sharing it.
    """
    if gates is None:
        return await _create_database(admin_dsn, module, tenant, owner)
    async with gates.for_server(admin_dsn):
        return await _create_database(admin_dsn, module, tenant, owner)


async def _create_database(admin_dsn: str, module: str, tenant: str, owner: str) -> DatabaseOutcome:
    name = database_name(module, tenant)
    statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(
        sql.Identifier(name), sql.Identifier(owner)
    )
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with await _connect(admin_dsn) as conn:
                cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if await cursor.fetchone() is not None:
                    return DatabaseOutcome(name, created=False)
                await conn.execute(statement)
                return DatabaseOutcome(name, created=True)
        except (errors.DuplicateDatabase, errors.UniqueViolation):
            return DatabaseOutcome(name, created=False)
        except _TRANSIENT:
            if attempt == _ATTEMPTS:
                raise
            await asyncio.sleep(0.2 * attempt)
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError):
                raise DatabaseUnavailable(
                    "DatabaseUnavailable", f"creating {name} on {_where(admin_dsn)} failed: {exc}"
                ) from exc
            raise DatabaseUnavailable(
                "DatabaseCreateFailed", f"creating {name} on {_where(admin_dsn)} failed: {exc}"
            ) from exc
    raise AssertionError("unreachable")


async def dump_database(
    admin_dsn: str, database: str, backup_dir: Path, *, pg_dump: str = "pg_dump"
) -> Path:
    """``pg_dump --format=custom`` of ``database`` into ``backup_dir``; returns the file."""
    await asyncio.to_thread(backup_dir.mkdir, parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"{database}-{stamp}.dump"
    process = await asyncio.create_subprocess_exec(
        pg_dump,
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--dbname={make_conninfo(admin_dsn, dbname=database)}",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await process.communicate()
    if process.returncode != 0:
        await asyncio.to_thread(target.unlink, missing_ok=True)
        raise DatabaseUnavailable(
            "BackupFailed",
            f"pg_dump of {database} failed: {stderr.decode(errors='replace')[-500:]}",
        )
    return target


async def drop_database(admin_dsn: str, database: str) -> bool:
    """DROP DATABASE, closing the connections services still hold; True if it existed."""
    try:
        async with await _connect(admin_dsn) as conn:
            cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if await cursor.fetchone() is None:
                return False
            await conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
            return True
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            "DatabaseUnavailable", f"dropping {database} on {_where(admin_dsn)} failed: {exc}"
        ) from exc
