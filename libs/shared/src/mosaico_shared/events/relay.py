"""The outbox relay: what a request committed is published at once; the sweeper
(``sweeper.py``) publishes what was left behind.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` inside the transaction that marks them
published, so two replicas never publish the same row at the same time; a row whose ack
came but whose mark was lost (the process died in between) is published again with the
same ``Nats-Msg-Id``, which JetStream drops inside its duplicate window and consumers
drop after it (they record the event ids they applied).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
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
                await connection.execute(
                    update(t).where(t.c.id.in_(acked)).values(published_at=func.now())
                )
        EVENTS_PUBLISHED.labels(self.module, path).inc(len(acked))
        failed = len(rows) - len(acked)
        if failed:
            PUBLISH_FAILURES.labels(self.module).inc(failed)
        return len(rows), len(acked)

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
    """The hot path: told by the outbox which rows a commit wrote, it publishes them
    right away, one tenant at a time per tenant, a bounded number of tenants at once.
    Rows committed while a tenant's publish is in flight go out in its next batch."""

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
        self._pending: dict[str, set[uuid.UUID]] = {}
        self._in_flight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(settings.events_publish_concurrency)

    def committed(self, tenant: str, ids: list[uuid.UUID]) -> None:
        """Called right after a commit wrote these outbox rows (from the session's
        ``after_commit``, on the event loop's thread)."""
        if not self.bus.connected:
            PUBLISH_FAILURES.labels(self.publisher.module).inc(len(ids))
            return  # the sweeper publishes them once NATS is back
        self._pending.setdefault(tenant, set()).update(ids)
        if tenant in self._in_flight:
            return
        self._in_flight.add(tenant)
        task = asyncio.get_running_loop().create_task(self._drain(tenant))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, tenant: str) -> None:
        try:
            async with self._slots:
                while ids := self._pending.pop(tenant, None):
                    await self._publish(tenant, sorted(ids))
        finally:
            self._in_flight.discard(tenant)
            if tenant in self._pending:  # committed while this task was leaving
                self.committed(tenant, list(self._pending.pop(tenant)))

    async def _publish(self, tenant: str, ids: list[uuid.UUID]) -> None:
        batch = self.settings.events_publish_batch
        try:
            async with self.databases.engine_for(tenant).connect() as connection:
                for start in range(0, len(ids), batch):
                    chunk = ids[start : start + batch]
                    await self.publisher.publish_claimed(
                        connection, tenant, path="commit", ids=chunk, limit=len(chunk)
                    )
        except Exception as exc:
            PUBLISH_FAILURES.labels(self.publisher.module).inc(len(ids))
            logger.warning(
                "events: publishing after commit failed for tenant %s (%s); the sweeper "
                "will publish",
                tenant,
                type(exc).__name__,
            )

    async def close(self) -> None:
        """Let publishes in flight finish (bounded by the publish timeout)."""
        if self._tasks:
            await asyncio.wait(
                list(self._tasks), timeout=self.settings.events_publish_timeout_seconds * 2
            )
