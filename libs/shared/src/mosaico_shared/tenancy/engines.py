"""Lazily created, LRU-bounded async engines, one per tenant database."""

from __future__ import annotations

import asyncio
import uuid
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from mosaico_shared.tenancy.names import database_name


class TenantDatabases:
    """Engines for ``<module>_<tenant>`` databases on one server.

    A pod may serve a thousand tenants: engines are created on first use, each with a
    small pool, and the least recently used is disposed once ``max_engines`` are open.
    """

    def __init__(
        self,
        server_url: str,
        module: str,
        *,
        max_engines: int = 64,
        pool_size: int = 2,
        max_overflow: int = 3,
    ) -> None:
        self.server_url = make_url(server_url)
        self.module = module
        self.max_engines = max_engines
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self._engines: OrderedDict[str, AsyncEngine] = OrderedDict()
        self._disposals: set[asyncio.Task[None]] = set()
        #: Told ``(tenant, outbox row ids)`` right after a session opened on these
        #: databases committed outbox rows: the module's relay publishes them at once.
        self.outbox_listener: Callable[[str, list[uuid.UUID]], None] | None = None

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
            max_overflow=self.max_overflow,
            pool_pre_ping=False,
            pool_recycle=1800,
            # Statement parameters (password hashes, documents) never reach an error or a log.
            hide_parameters=True,
        )
        self._engines[database] = engine
        while len(self._engines) > self.max_engines:
            _, evicted = self._engines.popitem(last=False)
            task = asyncio.get_running_loop().create_task(evicted.dispose())
            self._disposals.add(task)
            task.add_done_callback(self._disposals.discard)
        return engine

    def forget(self, tenant: str) -> None:
        """Drop the tenant's engine (its database is being dropped)."""
        engine = self._engines.pop(database_name(self.module, tenant), None)
        if engine is not None:
            task = asyncio.get_running_loop().create_task(engine.dispose())
            self._disposals.add(task)
            task.add_done_callback(self._disposals.discard)

    @property
    def open_engines(self) -> int:
        """How many engines are open now."""
        return len(self._engines)

    async def dispose_all(self) -> None:
        """Close every pool (at shutdown)."""
        engines = list(self._engines.values())
        self._engines.clear()
        await asyncio.gather(*(e.dispose() for e in engines), *self._disposals)
