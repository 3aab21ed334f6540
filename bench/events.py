"""The event backbone: events/s and end-to-end latency from a producer's commit through
JetStream to a consumer's effect in its own database, beside raw nats-py publishing and
fetching the same payloads in the same run; and the sweeper's cost over 1,000 tenant
databases of which 10 have events waiting.

The producer commits one transaction per event (as a request does); the consumer's
effect is one row in the consumer's tenant database, written in the transaction that
records the event id. Producer and consumer share this process and its event loop, as
the raw baseline's publisher and fetcher do.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import nats
import psycopg
from mosaico_devstack.nats import LocalNats
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.contracts.events import EventPayload
from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.events.bus import EventBus
from mosaico_shared.events.consumer import EventConsumer
from mosaico_shared.events.envelope import Envelope, Event, new_envelope
from mosaico_shared.events.processed import ConsumedEventMixin
from mosaico_shared.events.relay import OutboxPublisher
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.events.sweeper import OutboxSweeper
from mosaico_shared.outbox import OutboxMixin, record_event
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.session import open_tenant_session
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import Float, String, create_engine, insert, pool
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

EVENTS = 5_000
RATE = 1_000  # offered events/s for the latency runs
LATENCY_SECONDS = 10
WRITERS = 8  # concurrent producer transactions, like concurrent requests
TENANT = "bench"
TENANT_DATABASES = 1_000
WITH_PENDING = 10
PENDING_EACH = 100


class BenchBase(DeclarativeBase):
    pass


class BenchOutbox(OutboxMixin, BenchBase):
    __tablename__ = "outbox"


class BenchConsumed(ConsumedEventMixin, BenchBase):
    __tablename__ = "consumed_events"


class Effect(BenchBase):
    __tablename__ = "effects"
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    committed_at: Mapped[float] = mapped_column(Float)


class OrderPlaced(EventPayload):
    module: ClassVar[str] = "orders"
    order_id: str
    amount: str
    committed_at: float = 0.0


def _create_schema(postgres: LocalPostgres, database: str) -> None:
    postgres.create_database(database)
    engine = create_engine(postgres.url(database, user="mosaico"), poolclass=pool.NullPool)
    try:
        BenchBase.metadata.create_all(engine)
    finally:
        engine.dispose()


def _settings(nats_url: str, **overrides: Any) -> EventSettings:
    return EventSettings(nats_url=nats_url, events_stats_interval_seconds=3600, **overrides)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Pipeline:
    """Producer ("orders") and consumer ("ledger") backbones on their own connections."""

    def __init__(self, postgres: LocalPostgres, nats_url: str) -> None:
        self.latencies: list[float] = []
        self.applied = 0
        self.done = asyncio.Event()
        self.expected = 0
        consumer = EventConsumer("bench", processed=BenchConsumed)

        @consumer.handles(OrderPlaced)
        async def apply(session: AsyncSession, event: Event[OrderPlaced]) -> None:
            await session.execute(
                insert(Effect).values(
                    event_id=str(event.id), committed_at=event.payload.committed_at
                )
            )
            self.latencies.append(time.time() - event.payload.committed_at)
            self.applied += 1
            if self.applied >= self.expected:
                self.done.set()

        settings = _settings(nats_url, events_consumer_concurrency=16, events_consumer_batch=64)
        # A pod's default budget (a pool of 5). At an offered rate above what that pool
        # commits, the writers queue for it instead of getting the 503 a request would:
        # the latency measured starts inside the producer's transaction either way.
        self.orders_db = TenantDatabases(postgres.app_url, "orders", pool_timeout=300)
        self.ledger_db = TenantDatabases(postgres.app_url, "ledger")
        self.orders = EventBackbone(settings, "orders", outbox=BenchOutbox)
        self.ledger = EventBackbone(settings, "ledger", consumers=[consumer])

    async def __aenter__(self) -> Pipeline:
        self.orders.start(self.orders_db)
        self.ledger.start(self.ledger_db)
        assert self.orders.bus is not None
        assert self.ledger.bus is not None
        await self.orders.bus.wait_connected()
        await self.ledger.bus.wait_connected()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.orders.stop(self.orders_db)
        await self.ledger.stop(self.ledger_db)
        await self.orders_db.dispose_all()
        await self.ledger_db.dispose_all()

    async def commit_one(self) -> None:
        session = await open_tenant_session(self.orders_db, TENANT)
        async with session:
            record_event(session, BenchOutbox, tenant=TENANT, module="orders",
                         event=OrderPlaced(order_id=uuid.uuid4().hex, amount="10.00",
                                           committed_at=time.time()))  # fmt: skip
            await session.commit()

    async def throughput(self, count: int) -> float:
        self.expected, self.applied = count, 0
        self.done.clear()
        queue = iter(range(count))
        started = time.monotonic()

        async def writer() -> None:
            for _ in queue:
                await self.commit_one()

        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        await asyncio.wait_for(self.done.wait(), timeout=300)
        return count / (time.monotonic() - started)

    async def latency(self, rate: int, seconds: float) -> list[float]:
        self.latencies = []
        count = int(rate * seconds)
        self.expected, self.applied = count, 0
        self.done.clear()
        tasks = []
        started = time.monotonic()
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
            tasks.append(asyncio.create_task(self.commit_one()))
        await asyncio.gather(*tasks)
        await asyncio.wait_for(self.done.wait(), timeout=300)
        return list(self.latencies)


async def raw_nats(nats_url: str, count: int, rate: int | None) -> tuple[float, list[float]]:
    """The same payloads through nats-py alone: publish (awaiting acks, WRITERS at once, or
    at ``rate``), fetch with explicit acks; no database on either side."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    subject = f"mosaico.{TENANT}.raw.order_placed"
    durable = f"raw-{uuid.uuid4().hex[:8]}"
    await js.add_consumer("MOSAICO_EVENTS", ConsumerConfig(
        durable_name=durable, filter_subject=subject, ack_policy=AckPolicy.EXPLICIT,
        max_ack_pending=2048))  # fmt: skip
    subscription = await js.pull_subscribe_bind(durable, stream="MOSAICO_EVENTS")
    latencies: list[float] = []

    def payload() -> tuple[bytes, dict[str, str]]:
        event = OrderPlaced(order_id=uuid.uuid4().hex, amount="10.00", committed_at=time.time())
        envelope = new_envelope(TENANT, event, occurred_at=datetime.now(UTC))
        return envelope.encode(), envelope.headers()

    async def publish_one() -> None:
        data, headers = payload()
        await js.publish(subject, data, headers=headers)

    async def produce() -> None:
        if rate is None:
            queue = iter(range(count))

            async def writer() -> None:
                for _ in queue:
                    await publish_one()

            await asyncio.gather(*(writer() for _ in range(WRITERS)))
        else:
            started = time.monotonic()
            tasks = []
            for n in range(count):
                await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
                tasks.append(asyncio.create_task(publish_one()))
            await asyncio.gather(*tasks)

    async def consume() -> None:
        received = 0
        while received < count:
            try:
                messages = await subscription.fetch(64, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            for message in messages:
                committed = float(Envelope.decode(message.data).payload["committed_at"])
                await message.ack()
                latencies.append(time.time() - committed)
                received += 1

    started = time.monotonic()
    await asyncio.gather(produce(), consume())
    elapsed = time.monotonic() - started
    await js.delete_consumer("MOSAICO_EVENTS", durable)
    await nc.close()
    return count / elapsed, latencies


async def sweeper_cost(postgres: LocalPostgres, nats_url: str) -> dict[str, Any]:
    """1,000 tenant databases, 10 with events waiting: one sweep's time and connections."""
    template = "sweepbench_template"
    _create_schema(postgres, template)
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        for n in range(TENANT_DATABASES):
            name = f"sweep_t{n:04d}"
            if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER mosaico')
    databases = TenantDatabases(postgres.app_url, "sweep")
    pending = [f"t{n:04d}" for n in range(0, TENANT_DATABASES, TENANT_DATABASES // WITH_PENDING)]
    for tenant in pending:
        session = await open_tenant_session(databases, tenant)
        async with session:
            for _ in range(PENDING_EACH):
                record_event(session, BenchOutbox, tenant=tenant, module="sweep",
                             event=OrderPlaced(order_id=uuid.uuid4().hex, amount="1.00"))  # fmt: skip
            await session.commit()
    await databases.dispose_all()
    settings = _settings(nats_url, events_sweep_grace_seconds=0)
    databases = TenantDatabases(postgres.app_url, "sweep")
    bus = EventBus(settings, "sweep")
    bus.start()
    await bus.wait_connected()
    sweeper = OutboxSweeper(bus, databases, OutboxPublisher(bus, BenchOutbox, "sweep"), settings)
    peak_server = 0
    stop = threading.Event()

    def watch() -> None:
        nonlocal peak_server
        with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
            while not stop.is_set():
                row = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 'sweep\\_%'"
                ).fetchone()
                peak_server = max(peak_server, int(row[0]) if row else 0)
                time.sleep(0.005)

    watcher = asyncio.create_task(asyncio.to_thread(watch))
    drain = await sweeper.sweep()
    idle = await sweeper.sweep()
    stop.set()
    await watcher
    await bus.close()
    await databases.dispose_all()
    return {"drain": drain, "idle": idle, "peak_server": peak_server,
            "concurrency": settings.events_sweep_concurrency}  # fmt: skip


async def run(postgres: LocalPostgres, nats_url: str) -> str:
    _create_schema(postgres, f"orders_{TENANT}")
    _create_schema(postgres, f"ledger_{TENANT}")
    async with Pipeline(postgres, nats_url) as pipeline:
        await pipeline.throughput(500)  # warm up
        backbone_rate = await pipeline.throughput(EVENTS)
        latencies = await pipeline.latency(RATE, LATENCY_SECONDS)
    raw_rate, _ = await raw_nats(nats_url, EVENTS, None)
    _, raw_latencies = await raw_nats(nats_url, RATE * LATENCY_SECONDS, RATE)
    sweep = await sweeper_cost(postgres, nats_url)

    def ms(values: list[float], q: float) -> str:
        return f"{_percentile(values, q) * 1000:.1f}"

    drain, idle = sweep["drain"], sweep["idle"]
    lines = [
        "### events: commit -> JetStream -> consumer's effect",
        "",
        f"{EVENTS:,} events for throughput ({WRITERS} concurrent writers); {RATE:,} events/s "
        f"offered for {LATENCY_SECONDS} s for latency. Same payloads, same run.",
        "",
        "| path | events/s | p50 ms at 1,000/s | p99 ms at 1,000/s |",
        "|---|---:|---:|---:|",
        f"| raw nats-py publish + fetch (baseline, no database) | {raw_rate:,.0f} | "
        f"{ms(raw_latencies, 0.5)} | {ms(raw_latencies, 0.99)} |",
        f"| backbone: commit, relay, JetStream, consumer transaction | {backbone_rate:,.0f} | "
        f"{ms(latencies, 0.5)} | {ms(latencies, 0.99)} |",
        "",
        f"- backbone throughput: {backbone_rate / raw_rate:.0%} of raw nats-py (target: at least 50%)",
        f"- backbone p99 at {RATE:,}/s: {ms(latencies, 0.99)} ms (target: under 50 ms); "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms over {len(latencies):,} events",
        "",
        f"### events: the sweeper over {TENANT_DATABASES:,} tenant databases, {WITH_PENDING} with "
        f"{PENDING_EACH} events waiting",
        "",
        "| measure | value |",
        "|---|---|",
        f"| databases visited | {drain.databases:,} |",
        f"| events published by the sweep | {drain.published:,} |",
        f"| time to drain (one pass) | {drain.seconds:.2f} s |",
        f"| a pass with nothing waiting | {idle.seconds:.2f} s |",
        f"| connections held at once (sweeper's count / server's pg_stat_activity) | "
        f"{drain.peak_connections} / {sweep['peak_server']} (events_sweep_concurrency = "
        f"{sweep['concurrency']}) |",
        f"| backlog after the pass | {idle.pending} |",
    ]
    return "\n".join(lines)


def main() -> str:
    root = Path(tempfile.mkdtemp(prefix="mosaico-bench-events-"))
    postgres = LocalPostgres(root / "pg").start()
    server = LocalNats(root / "nats").start()
    try:
        return asyncio.run(run(postgres, server.url))
    finally:
        server.stop()
        postgres.stop()


if __name__ == "__main__":
    print(main())
