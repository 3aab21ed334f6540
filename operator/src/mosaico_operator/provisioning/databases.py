"""Per-tenant databases on a module's PostgreSQL server: create, check and drop.

Many tenants are reconciled at once (and a peer operator may race this one), so every
statement tolerates having been done already by someone else.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from mosaico_shared.tenancy.names import database_name
from psycopg import errors, sql

from mosaico_operator.provisioning.dsn import InvalidDsn, server_of, with_database
from mosaico_operator.provisioning.errors import DatabaseUnavailable

#: Another CREATE DATABASE copying template1 at the same moment; it passes in a moment.
_TRANSIENT = (errors.ObjectInUse, errors.LockNotAvailable, errors.SerializationFailure)
_ATTEMPTS = 5
#: New databases grant CONNECT and TEMPORARY to PUBLIC: every role of the server.
_REVOKE = sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC")
_CONNECT_TIMEOUT = 10
#: Databases that need nothing from the operator: they exist and PUBLIC cannot use them.
_SETTLED = (
    "SELECT datname FROM pg_database WHERE NOT datistemplate"
    " AND NOT has_database_privilege('public', oid, 'CONNECT')"
    " AND NOT has_database_privilege('public', oid, 'TEMPORARY')"
)


class DatabaseGates:
    """At most ``limit`` admin connections at once per PostgreSQL server, and what each
    server's catalog said at most ``catalog_seconds`` ago.

    Hundreds of tenants reconciled together would otherwise open hundreds of
    connections and hit ``max_connections``, which the services need too. The drift
    timer asks every Tenant's databases again and again; one read of ``pg_database``
    per server answers all of them until it is ``catalog_seconds`` old.
    """

    def __init__(self, limit: int = 8, *, catalog_seconds: float = 30.0) -> None:
        self.limit = limit
        self.catalog_seconds = catalog_seconds
        self._gates: dict[str, asyncio.Semaphore] = {}
        self._catalogs: dict[str, tuple[float, frozenset[str]]] = {}
        self._reading: dict[str, asyncio.Lock] = {}
        #: How many times a server's catalog was read (for the steady-state benchmark).
        self.catalog_reads = 0

    def for_server(self, admin_dsn: str) -> asyncio.Semaphore:
        return self._gates.setdefault(_where(admin_dsn), asyncio.Semaphore(self.limit))

    async def settled(self, admin_dsn: str, database: str) -> bool:
        """Whether ``database`` existed with no CONNECT or TEMPORARY for PUBLIC at the
        server's last catalog read (read again when it is too old)."""
        where = _where(admin_dsn)
        async with self._reading.setdefault(where, asyncio.Lock()):
            read_at, names = self._catalogs.get(where, (float("-inf"), frozenset()))
            if time.monotonic() - read_at >= self.catalog_seconds:
                async with self.for_server(admin_dsn), await _connect(admin_dsn) as conn:
                    cursor = await conn.execute(_SETTLED)
                    rows: list[Any] = await cursor.fetchall()
                    names = frozenset(str(row[0]) for row in rows)
                self.catalog_reads += 1
                self._catalogs[where] = (time.monotonic(), names)
        return database in names

    def forget(self, admin_dsn: str) -> None:
        """The server's catalog changed here: read it again next time."""
        self._catalogs.pop(_where(admin_dsn), None)


@dataclass(frozen=True)
class DatabaseOutcome:
    database: str
    created: bool


def _transient(exc: psycopg.Error) -> bool:
    """Someone else is changing the same catalog row right now; again in a moment
    passes. Two REVOKEs on one database at once fail with "tuple concurrently
    updated" (an internal error, SQLSTATE XX000, with no class of its own)."""
    if isinstance(exc, _TRANSIENT):
        return True
    return isinstance(exc, errors.InternalError_) and "concurrently updated" in str(exc)


def _where(admin_dsn: str) -> str:
    """host:port of a DSN, for messages and gates (never the password)."""
    try:
        return server_of(admin_dsn)
    except InvalidDsn as exc:
        raise DatabaseUnavailable("InvalidDatabaseDsn", f"the admin DSN is {exc}") from None


async def _connect(admin_dsn: str, database: str = "postgres") -> psycopg.AsyncConnection[object]:
    where = _where(admin_dsn)
    try:
        return await psycopg.AsyncConnection.connect(
            with_database(admin_dsn, database, connect_timeout=_CONNECT_TIMEOUT),
            autocommit=True,
            application_name="mosaico-operator",
        )
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(
            "DatabaseUnavailable", f"PostgreSQL at {where} is unreachable: {exc}"
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
    trust_catalog: bool = False,
) -> DatabaseOutcome:
    """CREATE DATABASE ``<module>_<tenant>`` OWNER ``owner`` unless it exists, and
    REVOKE CONNECT from PUBLIC on it (again every time: a creation interrupted before
    the revoke is repaired), so no other module's role can open it.

    With ``trust_catalog`` (the drift timer's checks) a database the gates' recent
    catalog read shows in place is left alone without a connection of its own; a
    database dropped by hand is then found at most ``catalog_seconds`` later.

    The operator's role needs CREATEDB and the right to act as ``owner`` (membership in
    the module's role), not superuser.

    Idempotent, and safe when several reconciles (or operators) create it at once: a
    concurrent creation surfaces as duplicate_database or as a unique violation on
    pg_database, both meaning "it exists now". ``gates`` bounds the connections opened
    to one server by all callers sharing it.
    """
    if gates is None:
        return await _create_database(admin_dsn, module, tenant, owner)
    if trust_catalog and await gates.settled(admin_dsn, database_name(module, tenant)):
        return DatabaseOutcome(database_name(module, tenant), created=False)
    async with gates.for_server(admin_dsn):
        outcome = await _create_database(admin_dsn, module, tenant, owner)
    gates.forget(admin_dsn)
    return outcome


async def _create_database(admin_dsn: str, module: str, tenant: str, owner: str) -> DatabaseOutcome:
    name = database_name(module, tenant)
    statement = sql.SQL("CREATE DATABASE {} OWNER {}").format(
        sql.Identifier(name), sql.Identifier(owner)
    )
    created = False  # by this call, in any attempt (a retried REVOKE must not forget it)
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            async with await _connect(admin_dsn) as conn:
                cursor = await conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if await cursor.fetchone() is None:
                    try:
                        await conn.execute(statement)
                        created = True
                    except (errors.DuplicateDatabase, errors.UniqueViolation):
                        pass
                await conn.execute(_REVOKE.format(sql.Identifier(name)))
                return DatabaseOutcome(name, created=created)
        except psycopg.Error as exc:
            if _transient(exc) and attempt < _ATTEMPTS:
                await asyncio.sleep(0.2 * attempt)
                continue
            if isinstance(exc, psycopg.OperationalError):
                raise DatabaseUnavailable(
                    "DatabaseUnavailable", f"creating {name} on {_where(admin_dsn)} failed: {exc}"
                ) from exc
            raise DatabaseUnavailable(
                "DatabaseCreateFailed", f"creating {name} on {_where(admin_dsn)} failed: {exc}"
            ) from exc
    raise AssertionError("unreachable")


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
