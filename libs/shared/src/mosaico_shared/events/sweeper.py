"""The sweeper: publishes what the hot path left behind (the process died between
commit and publish, NATS was away), across every tenant database of the module.

It visits the databases a few at a time (``events_sweep_concurrency``), each on one
short-lived connection closed right after, so a pod with a thousand tenants never holds
a thousand connections; it also measures the backlog and the age of its oldest event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection

from mosaico_shared.events.bus import EventBus
from mosaico_shared.events.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, SWEEPS
from mosaico_shared.events.relay import OutboxPublisher
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.tasks import stop_task
from mosaico_shared.tenancy.engines import TenantDatabases

logger = logging.getLogger("mosaico.events")


@dataclass
class DatabaseSweep:
    """What one tenant database held, and what the sweep published from it."""

    database: str
    pending: int = 0
    published: int = 0
    oldest: datetime | None = None


@dataclass
class SweepReport:
    """One pass over every tenant database of the module."""

    databases: int
    pending: int
    published: int
    oldest: datetime | None
    seconds: float
    peak_connections: int


def tenant_of(module: str, database: str) -> str:
    """The tenant slug of ``<module>_<tenant>`` (slugs have hyphens, never underscores)."""
    return database.removeprefix(f"{module}_").replace("_", "-")


class OutboxSweeper:
    """Periodic passes over every tenant database, and one at once on demand."""

    def __init__(
        self,
        bus: EventBus,
        databases: TenantDatabases,
        publisher: OutboxPublisher,
        settings: EventSettings,
    ) -> None:
        self.bus = bus
        self.databases = databases
        self.publisher = publisher
        self.settings = settings
        self.module = publisher.module
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._open = 0
        self._peak = 0

    def wake(self) -> None:
        """Sweep now rather than at the next interval (NATS came back)."""
        self._wake.set()

    def start(self) -> None:
        """Run passes in the background until ``close``."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        interval = self.settings.events_sweep_interval_seconds
        while True:
            try:
                await self.sweep()
            except Exception:
                SWEEPS.labels(self.module, "failed").inc()
                logger.exception("events: outbox sweep failed")
            # Jitter keeps replicas from sweeping in step.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(),
                    timeout=interval * random.uniform(0.8, 1.2),  # noqa: S311
                )
            self._wake.clear()

    async def close(self) -> None:
        """Stop sweeping."""
        await stop_task(self._task)

    async def tenant_databases(self) -> list[str]:
        """Every tenant database of the module on its server."""
        engine = self.databases.engine_for_database("postgres")
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT datname FROM pg_database WHERE datname LIKE :prefix ESCAPE '\\' "
                    "AND NOT datistemplate AND datallowconn ORDER BY datname"
                ),
                {"prefix": self.module + "\\_%"},
            )
            return [r[0] for r in rows if r[0] != f"{self.module}_platform"]

    async def sweep(self) -> SweepReport:
        """One pass: count what waits in every database, publish it when NATS is up."""
        started = time.monotonic()
        self._peak = 0
        names = await self.tenant_databases()
        slots = asyncio.Semaphore(self.settings.events_sweep_concurrency)

        async def visit(name: str) -> DatabaseSweep:
            async with slots:
                return await self.sweep_database(name)

        results = await asyncio.gather(*(visit(n) for n in names))
        pending = sum(r.pending for r in results)
        published = sum(r.published for r in results)
        oldest = min((r.oldest for r in results if r.oldest is not None), default=None)
        OUTBOX_BACKLOG.labels(self.module).set(pending)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
        OUTBOX_OLDEST_AGE.labels(self.module).set(max(age, 0.0))
        SWEEPS.labels(self.module, "ok").inc()
        if published:
            logger.info(
                "events: sweeper published %d event(s) left in the outbox", published,
                extra={"event": "outbox_swept"},
            )  # fmt: skip
        return SweepReport(
            databases=len(names),
            pending=pending,
            published=published,
            oldest=oldest,
            seconds=time.monotonic() - started,
            peak_connections=self._peak,
        )

    async def sweep_database(self, name: str) -> DatabaseSweep:
        """Count, then publish, what waits in one tenant database (one connection)."""
        result = DatabaseSweep(name)
        t = self.publisher.table
        engine = self.databases.unpooled_engine(name)
        self._open += 1
        self._peak = max(self._peak, self._open)
        try:
            async with engine.connect() as connection:
                row = (
                    await connection.execute(
                        select(func.count(), func.min(t.c.created_at)).where(
                            t.c.published_at.is_(None)
                        )
                    )
                ).one()
                await connection.rollback()
                result.pending, result.oldest = int(row[0]), row[1]
                if result.pending and self.bus.connected:
                    await self._publish_all(connection, name, result)
        except ProgrammingError:
            pass  # not migrated yet: no outbox table
        except (DBAPIError, PoolTimeout) as exc:  # gone, or the pod's connections all busy
            logger.debug("events: sweep skipped %s (%s)", name, type(exc).__name__)
        finally:
            self._open -= 1
            await engine.dispose()
        return result

    async def _publish_all(
        self, connection: AsyncConnection, name: str, result: DatabaseSweep
    ) -> None:
        tenant = tenant_of(self.module, name)
        batch = self.settings.events_publish_batch
        t = self.publisher.table
        while True:
            claimed, published = await self.publisher.publish_claimed(
                connection,
                tenant,
                path="sweep",
                limit=batch,
                grace_seconds=self.settings.events_sweep_grace_seconds,
            )
            result.published += published
            if claimed < batch or published < claimed:
                break
        row = (
            await connection.execute(
                select(func.count(), func.min(t.c.created_at)).where(t.c.published_at.is_(None))
            )
        ).one()
        await connection.rollback()
        result.pending, result.oldest = int(row[0]), row[1]
