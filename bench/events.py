"""The event backbone: events/s and end-to-end latency from a producer's commit through
JetStream to a consumer's effect in its own database, beside raw nats-py publishing and
fetching the same payloads in the same run; and the sweeper's cost over 1,000 tenant
databases of which 10 have events waiting.

The producer commits one transaction per event (as a request does); the consumer's
effect is one row in the consumer's tenant database, written in the transaction that
records the event id. Producer and consumer run in processes of their own, as two
modules do in their pods; so do the raw baseline's publisher and fetcher.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import UTC, datetime
from multiprocessing.connection import Connection
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
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import Float, String, create_engine, event, insert, pool
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

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


#: Every role runs in a process of its own, as the modules do in their pods: the
#: producer module (its writers and its relay), the consumer module, and the raw
#: baseline's publisher and fetcher. Each answers commands on a pipe.
Role = Callable[[Connection, str, str], Coroutine[Any, Any, None]]
RAW_SUBJECT = f"mosaico.{TENANT}.raw.order_placed"


async def _commands(pipe: Connection) -> AsyncIterator[tuple[Any, ...]]:
    while (command := await asyncio.to_thread(pipe.recv))[0] != "stop":
        yield command


async def _paced(
    count: int, rate: int | None, send: Callable[[], Coroutine[Any, Any, None]]
) -> float:
    """Run ``send`` ``count`` times, ``WRITERS`` at once or started at ``rate`` per
    second; returns when it started."""
    started = time.monotonic()
    if rate is None:
        queue = iter(range(count))

        async def writer() -> None:
            for _ in queue:
                await send()

        await asyncio.gather(*(writer() for _ in range(WRITERS)))
        return started
    tasks: list[asyncio.Task[None]] = []
    for n in range(count):
        await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        tasks.append(asyncio.create_task(send()))
    await asyncio.gather(*tasks)
    return started


async def _producer(pipe: Connection, app_url: str, nats_url: str) -> None:
    """The "orders" module: writers commit one transaction per event (as a request
    does); its relay publishes each commit's envelopes."""
    # A pod's default budget (a pool of 5). At an offered rate above what that pool
    # commits, the writers queue for it instead of getting the 503 a request would:
    # the latency measured starts inside the producer's transaction either way.
    databases = TenantDatabases(app_url, "orders", pool_timeout=300)
    backbone = EventBackbone(_settings(nats_url), "orders", outbox=BenchOutbox)
    backbone.start(databases)
    assert backbone.bus is not None
    await backbone.bus.wait_connected()

    async def commit_one() -> None:
        session = await open_tenant_session(databases, TENANT)
        async with session:
            record_event(session, BenchOutbox, tenant=TENANT, module="orders",
                         event=OrderPlaced(order_id=uuid.uuid4().hex, amount="10.00",
                                           committed_at=time.time()))  # fmt: skip
            await session.commit()

    pipe.send(("ready",))
    async for _, count, rate in _commands(pipe):
        pipe.send(("sent", await _paced(count, rate, commit_one)))
    await backbone.stop(databases)
    await databases.dispose_all()


async def _ledger(pipe: Connection, app_url: str, nats_url: str) -> None:
    """The "ledger" module: its consumer writes one effect row per event, in the
    transaction that records the event id."""
    expected, latencies, done = 0, [], asyncio.Event()
    consumer = EventConsumer("bench", processed=BenchConsumed)

    @consumer.handles(OrderPlaced)
    async def apply(session: AsyncSession, event: Event[OrderPlaced]) -> None:
        await session.execute(
            insert(Effect).values(event_id=str(event.id), committed_at=event.payload.committed_at)
        )
        # An event counts once its transaction committed, not when its handler ran.
        session.sync_session.info.setdefault("applied", []).append(event.payload.committed_at)

    def committed(session: Session) -> None:
        for at in session.info.pop("applied", ()):
            latencies.append(time.time() - at)
        if expected and len(latencies) >= expected:
            done.set()

    event.listen(Session, "after_commit", committed)
    databases = TenantDatabases(app_url, "ledger")
    settings = _settings(nats_url, events_consumer_concurrency=16, events_consumer_batch=64)
    backbone = EventBackbone(settings, "ledger", consumers=[consumer])
    backbone.start(databases)
    assert backbone.bus is not None
    await backbone.bus.wait_connected()
    pipe.send(("ready",))
    async for _, count in _commands(pipe):
        expected, latencies = count, []
        done.clear()
        pipe.send(("listening",))
        await asyncio.wait_for(done.wait(), timeout=300)
        pipe.send(("applied", time.monotonic(), latencies[:count]))
    await backbone.stop(databases)
    await databases.dispose_all()


def _raw_payload() -> tuple[bytes, dict[str, str]]:
    event = OrderPlaced(order_id=uuid.uuid4().hex, amount="10.00", committed_at=time.time())
    envelope = new_envelope(TENANT, event, occurred_at=datetime.now(UTC))
    return envelope.encode(), envelope.headers()


async def _raw_publisher(pipe: Connection, _: str, nats_url: str) -> None:
    """nats-py alone: publish the same envelopes, awaiting each ack."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()

    async def publish_one() -> None:
        data, headers = _raw_payload()
        await js.publish(RAW_SUBJECT, data, headers=headers)

    pipe.send(("ready",))
    async for _, count, rate in _commands(pipe):
        pipe.send(("sent", await _paced(count, rate, publish_one)))
    await nc.close()


async def _raw_fetcher(pipe: Connection, _: str, nats_url: str) -> None:
    """nats-py alone: fetch with explicit acks from a durable pull consumer."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    pipe.send(("ready",))
    async for _, count in _commands(pipe):
        durable = f"raw-{uuid.uuid4().hex[:8]}"
        await js.add_consumer("MOSAICO_EVENTS", ConsumerConfig(
            durable_name=durable, filter_subject=RAW_SUBJECT, ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW, max_ack_pending=2048))  # fmt: skip
        subscription = await js.pull_subscribe_bind(durable, stream="MOSAICO_EVENTS")
        pipe.send(("listening",))
        latencies: list[float] = []
        while len(latencies) < count:
            try:
                messages = await subscription.fetch(64, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            for message in messages:
                committed = float(Envelope.decode(message.data).payload["committed_at"])
                await message.ack()
                latencies.append(time.time() - committed)
        pipe.send(("applied", time.monotonic(), latencies))
        await js.delete_consumer("MOSAICO_EVENTS", durable)
    await nc.close()


ROLES: dict[str, Role] = {
    "producer": _producer, "ledger": _ledger,
    "raw_publisher": _raw_publisher, "raw_fetcher": _raw_fetcher,
}  # fmt: skip
#: What is measured: the backbone's sender and receiver, and the raw baseline's.
PATHS = {"backbone": ("producer", "ledger"), "raw": ("raw_publisher", "raw_fetcher")}


def _serve(role: str, pipe: Connection, app_url: str, nats_url: str) -> None:
    asyncio.run(ROLES[role](pipe, app_url, nats_url))


class Pair:
    """A sending and a receiving process. ``run`` offers ``count`` events (at ``rate``
    per second, or as fast as ``WRITERS`` go) and returns events/s, from the first
    send to the last effect, and each event's latency."""

    def __init__(self, sender: str, receiver: str, app_url: str, nats_url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        for role in (sender, receiver):
            ours, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(role, theirs, app_url, nats_url))
            process.start()
            self.pipes.append(ours)
            self.processes.append(process)
        for pipe in self.pipes:
            assert pipe.recv() == ("ready",)

    def run(self, count: int, rate: int | None = None) -> tuple[float, list[float]]:
        sender, receiver = self.pipes
        receiver.send(("expect", count))
        assert receiver.recv() == ("listening",)
        sender.send(("send", count, rate))
        _, started = sender.recv()
        # CLOCK_MONOTONIC is one clock for every process of the machine.
        _, finished, latencies = receiver.recv()
        return count / (finished - started), latencies

    def close(self) -> None:
        for pipe in self.pipes:
            pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()


async def sweeper_cost(postgres: LocalPostgres, nats_url: str) -> dict[str, Any]:
    """1,000 tenant databases, 10 with events waiting: one sweep's time and connections."""
    template = "sweepbench_template"
    _create_schema(postgres, template)
    for n in range(TENANT_DATABASES):
        postgres.create_database(f"sweep_t{n:04d}", template=template)
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
    rates: dict[str, float] = {}
    measured: dict[str, list[float]] = {}
    for name, roles in PATHS.items():
        pair = Pair(*roles, postgres.app_url, nats_url)
        try:
            pair.run(500)  # warm up
            rates[name], _ = pair.run(EVENTS)
            _, measured[name] = pair.run(RATE * LATENCY_SECONDS, RATE)
        finally:
            pair.close()
    backbone_rate, raw_rate = rates["backbone"], rates["raw"]
    raw_latencies, latencies = measured["raw"], measured["backbone"]
    sweep = await sweeper_cost(postgres, nats_url)

    def ms(values: list[float], q: float) -> str:
        return f"{_percentile(values, q) * 1000:.1f}"

    drain, idle = sweep["drain"], sweep["idle"]
    lines = [
        "### events: commit -> JetStream -> consumer's effect",
        "",
        f"{EVENTS:,} events for throughput ({WRITERS} concurrent writers); {RATE:,} events/s "
        f"offered for {LATENCY_SECONDS} s for latency. Same payloads, same run; the sender "
        "and the receiver of each path run in processes of their own, as two modules' pods "
        "do.",
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
