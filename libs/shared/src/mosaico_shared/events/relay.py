"""The outbox relay: what a request committed is published at once; the sweeper
(``sweeper.py``) publishes what was left behind.

Right after a commit the relay publishes the envelopes the session wrote, from memory:
no connection is needed on that path, so a pod whose pool is busy serving requests
still publishes at once. Marking the rows JetStream acknowledged can wait a moment
(``events_mark_linger_seconds``): consumers already have the events, and the moment
gathers the ids of many commits into one statement per tenant, instead of one
transaction per commit. The sweeper claims rows older than its grace period
with ``FOR UPDATE SKIP LOCKED`` inside the transaction that marks them published, so
two sweepers never publish the same row at the same time. A row published but not
marked yet (the mark failed, or the process died in between) is published again with
the same ``Nats-Msg-Id``, which JetStream drops inside its duplicate window and
consumers drop after it (they record the event ids they applied).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Sequence
from typing import Any, Literal

from sqlalchemy import Row, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from mosaico_shared.events.bus import EventBus
from mosaico_shared.events.envelope import Envelope
from mosaico_shared.events.metrics import EVENTS_PUBLISHED, PUBLISH_FAILURES
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.outbox import OutboxMixin
from mosaico_shared.tenancy.engines import TenantDatabases

logger = logging.getLogger("mosaico.events")

Path = Literal["commit", "sweep"]


class OutboxPublisher:
    """Claims unpublished outbox rows on one connection, publishes them, marks them."""

    def __init__(self, bus: EventBus, outbox: type[OutboxMixin], module: str) -> None:
        self.bus = bus
        self.module = module
        table = outbox.__table__  # type: ignore[attr-defined]
        assert isinstance(table, Table)
        self.table = table

    async def publish_claimed(
        self,
        connection: AsyncConnection,
        tenant: str,
        *,
        path: Path,
        ids: Sequence[uuid.UUID] | None = None,
        limit: int,
        grace_seconds: float = 0.0,
    ) -> tuple[int, int]:
        """In one transaction: claim up to ``limit`` unpublished rows (``ids`` only, when
        given), publish them, mark those JetStream acknowledged. Returns (claimed,
        published)."""
        t = self.table
        query = (
            select(t.c.id, t.c.type, t.c.schema_version, t.c.payload, t.c.created_at)
            .where(t.c.published_at.is_(None))
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if ids is not None:
            query = query.where(t.c.id.in_(list(ids)))
        if grace_seconds > 0:
            query = query.where(
                t.c.created_at < func.now() - func.make_interval(0, 0, 0, 0, 0, 0, grace_seconds)
            )
        async with connection.begin():
            rows = (await connection.execute(query)).all()
            if not rows:
                return 0, 0
            envelopes = [self._envelope(tenant, row) for row in rows]
            acks = await self.bus.publish(envelopes)
            acked = [e.id for e, ack in zip(envelopes, acks, strict=True) if ack is not None]
            if acked:
                await self.mark_published(connection, acked)
        EVENTS_PUBLISHED.labels(self.module, path).inc(len(acked))
        failed = len(rows) - len(acked)
        if failed:
            PUBLISH_FAILURES.labels(self.module).inc(failed)
        return len(rows), len(acked)

    async def mark_published(self, connection: AsyncConnection, ids: Sequence[uuid.UUID]) -> None:
        """Set ``published_at`` on the rows ``ids`` that do not have it yet."""
        t = self.table
        await connection.execute(
            update(t)
            .where(t.c.id.in_(list(ids)), t.c.published_at.is_(None))
            .values(published_at=func.now())
        )

    def _envelope(self, tenant: str, row: Row[Any, Any, Any, Any, Any]) -> Envelope:
        return Envelope(
            id=row.id,
            type=row.type,
            tenant=tenant,
            module=self.module,
            occurred_at=row.created_at,
            schema_version=row.schema_version,
            payload=row.payload,
        )


class OutboxRelay:
    """The hot path: told by the outbox which envelopes a commit wrote, it publishes
    them right away, one batch at a time per tenant, a bounded number of tenants at
    once. Envelopes committed while a tenant's publish is in flight go out in its next
    batch."""

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
        self._pending: dict[str, list[Envelope]] = {}
        self._in_flight: set[str] = set()
        self._unmarked: dict[str, list[uuid.UUID]] = {}
        self._marking: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(settings.events_publish_concurrency)
        self._mark_slots = asyncio.Semaphore(settings.events_publish_concurrency)

    def committed(self, tenant: str, envelopes: list[Envelope]) -> None:
        """Called right after a commit wrote these outbox rows (from the session's
        ``after_commit``, on the event loop's thread)."""
        if not self.bus.connected:
            PUBLISH_FAILURES.labels(self.publisher.module).inc(len(envelopes))
            return  # the sweeper publishes them once NATS is back
        self._pending.setdefault(tenant, []).extend(envelopes)
        if tenant in self._in_flight:
            return
        self._in_flight.add(tenant)
        self._start(self._drain(tenant))

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, tenant: str) -> None:
        try:
            async with self._slots:
                while envelopes := self._pending.pop(tenant, None):
                    await self._publish(tenant, envelopes)
        finally:
            self._in_flight.discard(tenant)
            if tenant in self._pending:  # committed while this task was leaving
                self.committed(tenant, self._pending.pop(tenant))

    async def _publish(self, tenant: str, envelopes: list[Envelope]) -> None:
        batch = self.settings.events_publish_batch
        for start in range(0, len(envelopes), batch):
            chunk = envelopes[start : start + batch]
            acks = await self.bus.publish(chunk)
            acked = [e.id for e, ack in zip(chunk, acks, strict=True) if ack is not None]
            EVENTS_PUBLISHED.labels(self.publisher.module, "commit").inc(len(acked))
            if len(acked) < len(chunk):
                PUBLISH_FAILURES.labels(self.publisher.module).inc(len(chunk) - len(acked))
            if acked:
                self._mark_later(tenant, acked)

    def _mark_later(self, tenant: str, ids: list[uuid.UUID]) -> None:
        self._unmarked.setdefault(tenant, []).extend(ids)
        if tenant not in self._marking:
            self._marking.add(tenant)
            self._start(self._marks(tenant))

    async def _marks(self, tenant: str) -> None:
        """Mark what was acknowledged for ``tenant`` until a linger passes with none."""
        batch = self.settings.events_publish_batch
        try:
            while True:
                await asyncio.sleep(self.settings.events_mark_linger_seconds)
                ids = self._unmarked.pop(tenant, None)
                if not ids:
                    return
                for start in range(0, len(ids), batch):
                    await self._mark(tenant, ids[start : start + batch])
        finally:
            self._marking.discard(tenant)
            if tenant in self._unmarked:  # cancelled with ids still waiting
                self._unmarked.pop(tenant)

    async def _mark(self, tenant: str, ids: list[uuid.UUID]) -> None:
        try:
            async with self._mark_slots, self.databases.engine_for(tenant).begin() as connection:
                await self.publisher.mark_published(connection, ids)
        except Exception as exc:
            logger.warning(
                "events: %d published event(s) of tenant %s not marked (%s); the sweeper "
                "marks them, and JetStream drops its second publish",
                len(ids), tenant, type(exc).__name__,
            )  # fmt: skip

    async def close(self) -> None:
        """Let publishes in flight and the marks they start finish (bounded by the
        publish timeout); what is still unmarked then is the sweeper's."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.events_publish_timeout_seconds * 2
        while self._tasks and (left := deadline - loop.time()) > 0:
            await asyncio.wait(list(self._tasks), timeout=left)
