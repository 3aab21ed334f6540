"""A module's event backbone: one NATS connection, the outbox relay and sweeper, its
consumers and its dead-letter API, started and stopped with the app.

Publishing: write the event in the request's transaction with
``mosaico_shared.outbox.record_event``; the relay publishes it right after the commit.
Consuming: declare an ``EventConsumer`` with handlers per contract and pass it here.
Readiness never depends on NATS: while it is away, events wait in the outbox, the
``mosaico_events_nats_connected`` gauge says 0 and a log line says why.

    backbone = EventBackbone(settings, outbox=OutboxEvent, consumers=[income])
    app = create_service_app(settings, routers=[..., backbone.router()],
                             lifespan=backbone.lifespan)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from fastapi import APIRouter, FastAPI

from mosaico_shared.events.bus import EventBus
from mosaico_shared.events.consumer import ConsumerRunner, EventConsumer
from mosaico_shared.events.dead_letters import DeadLetters
from mosaico_shared.events.endpoints import dead_letter_router
from mosaico_shared.events.metrics import CONSUMER_ACK_PENDING, CONSUMER_PENDING, prime
from mosaico_shared.events.relay import OutboxPublisher, OutboxRelay
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.events.sweeper import OutboxSweeper
from mosaico_shared.outbox import OutboxMixin
from mosaico_shared.tasks import stop_task
from mosaico_shared.tenancy.engines import TenantDatabases

logger = logging.getLogger("mosaico.events")


class EventBackbone:
    """Everything of the event backbone one module runs."""

    def __init__(
        self,
        settings: EventSettings,
        module: str,
        *,
        outbox: type[OutboxMixin] | None = None,
        consumers: Sequence[EventConsumer] = (),
    ) -> None:
        self.settings = settings
        self.module = module
        self.outbox = outbox
        self.consumers = list(consumers)
        self.bus: EventBus | None = None
        self.relay: OutboxRelay | None = None
        self.sweeper: OutboxSweeper | None = None
        self.runners: dict[str, ConsumerRunner] = {}
        self._stats: asyncio.Task[None] | None = None

    def router(self) -> APIRouter:
        """The dead-letter API (``/<module>/internal/dead-letters``)."""
        return dead_letter_router(self.module)

    @property
    def dead_letters(self) -> DeadLetters:
        """The module's view of the dead-letter stream."""
        assert self.bus is not None, "the backbone runs inside the app's lifespan"
        return DeadLetters(self.bus, self.settings, self.module, self.runners)

    def start(self, databases: TenantDatabases) -> None:
        """Connect, and start the relay, the sweeper and the consumers (in the background:
        nothing here waits for NATS)."""
        self.bus = bus = EventBus(self.settings, self.module)
        prime(self.module, [c.durable(self.module) for c in self.consumers])
        if self.outbox is not None:
            publisher = OutboxPublisher(bus, self.outbox, self.module)
            self.relay = OutboxRelay(bus, databases, publisher, self.settings)
            self.sweeper = OutboxSweeper(bus, databases, publisher, self.settings)
            databases.outbox_listener = self.relay.committed
            bus.on_connected(self._sweep_now)
            self.sweeper.start()
        for consumer in self.consumers:
            runner = ConsumerRunner(consumer, self.module, bus, databases, self.settings)
            self.runners[runner.durable] = runner
            runner.start()
        bus.start()
        self._stats = asyncio.get_running_loop().create_task(self._read_stats())

    async def _sweep_now(self) -> None:
        if self.sweeper is not None:
            self.sweeper.wake()

    async def _read_stats(self) -> None:
        while True:
            await asyncio.sleep(self.settings.events_stats_interval_seconds)
            if self.bus is None or not self.bus.connected:
                continue
            try:
                for runner in self.runners.values():
                    info = await self.bus.js.consumer_info(
                        self.settings.events_stream, runner.durable
                    )
                    CONSUMER_PENDING.labels(self.module, runner.durable).set(info.num_pending or 0)
                    CONSUMER_ACK_PENDING.labels(self.module, runner.durable).set(
                        info.num_ack_pending or 0
                    )
                await self.dead_letters.depth()
            except Exception as exc:
                logger.debug("events: stats not read (%s)", type(exc).__name__)

    async def stop(self, databases: TenantDatabases) -> None:
        """Stop consuming and sweeping, let in-flight publishes finish, disconnect."""
        databases.outbox_listener = None
        await stop_task(self._stats)
        for runner in self.runners.values():
            await runner.close()
        if self.sweeper is not None:
            await self.sweeper.close()
        if self.relay is not None:
            await self.relay.close()
        if self.bus is not None:
            await self.bus.close()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """Run with the app: ``create_service_app(..., lifespan=backbone.lifespan)``."""
        databases: TenantDatabases = app.state.databases
        app.state.events = self
        self.start(databases)
        try:
            yield
        finally:
            await self.stop(databases)
