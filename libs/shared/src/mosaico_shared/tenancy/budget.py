"""One pod's PostgreSQL connections, bounded across every tenant's engine.

A pod serves up to a thousand tenants, each through an engine of its own; per-engine
pools alone would let it hold hundreds of connections. The budget counts every real
connection the pod's engines open. When it is spent, the idle connections of the least
recently used engine are closed to make room; when every connection is in use, the
request waits for one up to the pool timeout and then gets a 503 (``DatabaseBusy``).

The counting hooks into SQLAlchemy's own events (``do_connect`` to take a slot before a
connection is opened, ``close``/``close_detached`` to give it back), so it holds however
the pools come and go (eviction, dispose, invalidation after a lost connection).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import event
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import await_only

CONNECTIONS_OPEN = Gauge(
    "mosaico_db_connections_open",
    "PostgreSQL connections this process holds open, across all tenant engines",
    ["module"],
)
CONNECTIONS_REFUSED = Counter(
    "mosaico_db_connections_refused_total",
    "Requests that waited a whole pool timeout for a database connection (answered 503)",
    ["module"],
)

#: How often a request waiting for a connection looks again.
_POLL_SECONDS = 0.01


class DatabaseBusy(PoolTimeout):
    """Every connection of the pod's budget stayed in use for the whole pool timeout."""


class ConnectionBudget:
    """At most ``size`` open connections, shared by the engines it ``watch``-es."""

    def __init__(
        self,
        size: int,
        *,
        timeout: float,
        module: str,
        engines: Callable[[], Iterable[AsyncEngine]],
    ) -> None:
        self.size = size
        self.timeout = timeout
        self.module = module
        #: The engines to take idle connections from, least recently used first.
        self._engines = engines
        self._open: set[int] = set()
        self._gauge = CONNECTIONS_OPEN.labels(module)

    @property
    def held(self) -> int:
        """Connections open now."""
        return len(self._open)

    def watch(self, engine: AsyncEngine) -> None:
        """Count ``engine``'s connections against the budget."""
        sync = engine.sync_engine
        event.listen(sync, "do_connect", self._connect)
        event.listen(sync, "close", self._closed)
        event.listen(sync, "close_detached", self._closed_detached)

    # Runs inside SQLAlchemy's greenlet (the pool is creating a connection), where
    # ``await_only`` may wait on the event loop.
    def _connect(
        self, dialect: Any, record: Any, cargs: tuple[Any, ...], cparams: dict[str, Any]
    ) -> Any:
        deadline = time.monotonic() + self.timeout
        while len(self._open) >= self.size:
            if not self._close_idle_connections():
                if time.monotonic() >= deadline:
                    CONNECTIONS_REFUSED.labels(self.module).inc()
                    raise DatabaseBusy(
                        f"all {self.size} database connections of this pod stayed in use "
                        f"for {self.timeout:g} s"
                    )
                await_only(asyncio.sleep(_POLL_SECONDS))
        # Taken before the connection exists, so that concurrent connects cannot overshoot.
        slot = object()
        self._open.add(id(slot))
        try:
            connection = dialect.connect(*cargs, **cparams)
        finally:
            self._open.discard(id(slot))
        self._open.add(id(connection))
        self._gauge.set(len(self._open))
        return connection

    def _closed(self, dbapi_connection: Any, record: Any) -> None:
        self._closed_detached(dbapi_connection)

    def _closed_detached(self, dbapi_connection: Any) -> None:
        self._open.discard(id(dbapi_connection))
        self._gauge.set(len(self._open))

    def _close_idle_connections(self) -> bool:
        """Close the connections of the least recently used engine whose connections
        are all idle; False when there is none (every engine has one in use)."""
        for engine in self._engines():
            pool = engine.sync_engine.pool
            if pool.checkedout() == 0 and pool.checkedin() > 0:  # type: ignore[attr-defined]
                close_idle_pool(engine)
                return True
        return False


def close_idle_pool(engine: AsyncEngine) -> None:
    """Close every connection of ``engine``, none of which is in use (inside
    SQLAlchemy's greenlet). The engine gets its fresh pool first, so nothing can check
    a connection out of the old one while it closes; ``Engine.dispose`` swaps after."""
    sync = engine.sync_engine
    idle = sync.pool
    sync.pool = idle.recreate()
    idle.dispose()
