"""Lazily created, LRU-bounded async engines, one per tenant database, sharing one
connection budget (``budget.py``)."""

from __future__ import annotations

import asyncio
import select
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from mosaico_shared.tenancy.budget import ConnectionBudget
from mosaico_shared.tenancy.names import database_name

if TYPE_CHECKING:
    from mosaico_shared.events.envelope import Envelope


class TenantDatabases:
    """Engines for ``<module>_<tenant>`` databases on one server.

    A pod may serve a thousand tenants: engines are created on first use and the least
    recently used one that nothing is using is disposed once ``max_engines`` are open.
    Connections are bounded for the whole pod by ``connection_budget``; one tenant's
    engine may hold a quarter of it, so a busy tenant cannot starve the others.
    ``transaction_pooler``: the server is PgBouncer in transaction mode, where a
    prepared statement would meet another client's server connection, so psycopg
    prepares none.
    """

    def __init__(
        self,
        server_url: str,
        module: str,
        *,
        max_engines: int = 64,
        connection_budget: int = 20,
        pool_timeout: float = 5.0,
        transaction_pooler: bool = False,
    ) -> None:
        self.server_url = make_url(server_url)
        self.module = module
        self.max_engines = max_engines
        self.pool_size = max(1, connection_budget // 4)
        self.pool_timeout = pool_timeout
        self.transaction_pooler = transaction_pooler
        self._engines: OrderedDict[str, AsyncEngine] = OrderedDict()
        self._disposals: set[asyncio.Task[None]] = set()
        self.budget = ConnectionBudget(
            connection_budget,
            timeout=pool_timeout,
            module=module,
            engines=lambda: list(self._engines.values()),
        )
        #: Told ``(tenant, envelopes)`` right after a session opened on these databases
        #: committed outbox rows: the module's relay publishes them at once.
        self.outbox_listener: Callable[[str, list[Envelope]], None] | None = None

    def url_for(self, database: str) -> str:
        """The server URL pointed at ``database``."""
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    def tenant_url(self, tenant: str) -> str:
        """URL of the tenant's database in this module."""
        return self.url_for(database_name(self.module, tenant))

    def engine_for(self, tenant: str) -> AsyncEngine:
        """The tenant's engine, created now if needed; evicts the least recently used."""
        return self.engine_for_database(database_name(self.module, tenant))

    def engine_for_database(self, database: str) -> AsyncEngine:
        """An engine for any database on this server (``identity_platform``, say)."""
        engine = self._engines.get(database)
        if engine is not None:
            self._engines.move_to_end(database)
            return engine
        engine = create_async_engine(
            self.url_for(database),
            pool_size=self.pool_size,
            max_overflow=0,
            pool_timeout=self.pool_timeout,
            pool_recycle=1800,
            connect_args={"prepare_threshold": None} if self.transaction_pooler else {},
            # Statement parameters (password hashes, documents) never reach an error or a log.
            hide_parameters=True,
        )
        replace_closed_connections(engine)
        self.budget.watch(engine)
        self._engines[database] = engine
        self._evict()
        return engine

    def unpooled_engine(self, database: str) -> AsyncEngine:
        """An engine that keeps no connection (a sweep over every tenant database),
        its connections still counted against the budget. Dispose it after use."""
        engine = create_async_engine(
            self.url_for(database),
            poolclass=NullPool,
            connect_args={"prepare_threshold": None} if self.transaction_pooler else {},
            hide_parameters=True,
        )
        self.budget.watch(engine)
        return engine

    def _evict(self) -> None:
        """Past ``max_engines``, dispose the least recently used engines nothing is
        using (one in use would lose track of the connections it still has out)."""
        excess = len(self._engines) - self.max_engines
        for database, engine in list(self._engines.items()):
            if excess <= 0:
                break
            if engine.sync_engine.pool.checkedout() == 0:  # type: ignore[attr-defined]
                del self._engines[database]
                self._dispose_later(engine)
                excess -= 1

    def _dispose_later(self, engine: AsyncEngine) -> None:
        task = asyncio.get_running_loop().create_task(engine.dispose())
        self._disposals.add(task)
        task.add_done_callback(self._disposals.discard)

    def forget(self, tenant: str) -> None:
        """Drop the tenant's engine (its database is being dropped)."""
        engine = self._engines.pop(database_name(self.module, tenant), None)
        if engine is not None:
            self._dispose_later(engine)

    @property
    def open_engines(self) -> int:
        """How many engines are open now."""
        return len(self._engines)

    async def dispose_all(self) -> None:
        """Close every pool (at shutdown)."""
        engines = list(self._engines.values())
        self._engines.clear()
        await asyncio.gather(*(e.dispose() for e in engines), *self._disposals)


def replace_closed_connections(engine: AsyncEngine) -> None:
    """A pooled connection PostgreSQL (a restart, a failover, a pooler's idle timeout)
    closed while it sat idle is replaced before a request gets it, instead of failing
    that request.

    SQLAlchemy's ``pool_pre_ping`` would find out by a query on every checkout: a round
    trip and a server transaction per request. A server that closes a connection says
    so on its socket (a FATAL message, then end of file), and an idle connection has
    nothing else to read, so a look at the socket that waits for nothing tells the same
    without asking the server, as Go's database drivers check theirs. A connection the
    server starts closing at the very moment it is checked out is found by its first
    statement instead: that request is answered 503 and SQLAlchemy discards the pool's
    connections, as it would for a server lost mid-request."""
    event.listen(engine.sync_engine, "checkout", _closed_by_server)


def _closed_by_server(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    driver = dbapi_connection.driver_connection
    if driver.closed or driver.broken:
        raise DisconnectionError("the pooled connection is closed")
    readable, _, _ = select.select([driver.fileno()], [], [], 0)
    if readable:  # SQLAlchemy discards it and checks out a new one
        raise DisconnectionError("the server closed the pooled connection")
