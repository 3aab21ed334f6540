"""The event backbone: events/s and end-to-end latency from a producer's commit through
JetStream to a consumer's effect in its own database, beside raw nats-py publishing and
fetching the same payloads in the same run; and the sweeper's cost over 1,000 tenant
databases of which 10 have events waiting.

The producer commits one transaction per event (as a request does); the consumer's
effect is one row in the consumer's tenant database, written in the transaction that
records the event id. Producer and consumer run in processes of their own, as two
modules do in their pods; so do the raw baseline's publisher and fetcher.

Beside raw nats-py (no database at all), a lean baseline does the same work as the
backbone with psycopg_pool and nats-py by hand: the producer's transaction per event,
the publish, the marks gathered; the consumer's transaction per fetch that records the
event ids and writes the effects. It is what the same transactions cost without
SQLAlchemy, the tenancy layer or the backbone's bookkeeping.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar

import harness
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
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Float, String, create_engine, event, insert, pool
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

EVENTS = 5_000
RATE = 1_000  # offered events/s for the latency runs
UNDER = 200  # and a rate each path keeps up with, for the latency it adds
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


def _raw_envelope() -> Envelope:
    event = OrderPlaced(order_id=uuid.uuid4().hex, amount="10.00", committed_at=time.time())
    return new_envelope(TENANT, event, occurred_at=datetime.now(UTC))


async def _raw_publisher(pipe: Connection, _: str, nats_url: str) -> None:
    """nats-py alone: publish the same envelopes, awaiting each ack."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()

    async def publish_one() -> None:
        envelope = _raw_envelope()
        await js.publish(RAW_SUBJECT, envelope.encode(), headers=envelope.headers())

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


LEAN_SUBJECT = f"mosaico.{TENANT}.leanorders.order_placed"


def _libpq_url(app_url: str, database: str) -> str:
    url = make_url(app_url).set(drivername="postgresql", database=database)
    return url.render_as_string(hide_password=False)


async def _lean_producer(pipe: Connection, app_url: str, nats_url: str) -> None:
    """The producer's work by hand: a transaction per event writing its outbox row,
    then the publish (its id as Nats-Msg-Id), then the row marked, marks gathered."""
    pool = AsyncConnectionPool(_libpq_url(app_url, f"lean_orders_{TENANT}"), min_size=5,
                               max_size=5, open=False)  # fmt: skip
    await pool.open()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    acked: list[uuid.UUID] = []

    async def mark() -> None:
        while True:
            await asyncio.sleep(0.1)
            if acked:
                ids = acked[:]
                acked.clear()
                async with pool.connection() as db:
                    await db.execute("UPDATE outbox SET published_at = now() "
                                     "WHERE id = ANY(%s) AND published_at IS NULL", [ids])  # fmt: skip

    async def commit_one() -> None:
        envelope = _raw_envelope()
        async with pool.connection() as db:
            await db.execute(
                "INSERT INTO outbox (id, subject, type, schema_version, payload, created_at) "
                "VALUES (%s, %s, %s, 1, %s, %s)",
                (envelope.id, LEAN_SUBJECT, envelope.type, Jsonb(envelope.payload),
                 envelope.occurred_at),
            )  # fmt: skip
        await js.publish(LEAN_SUBJECT, envelope.encode(), headers=envelope.headers())
        acked.append(envelope.id)

    marker = asyncio.create_task(mark())
    pipe.send(("ready",))
    async for _, count, rate in _commands(pipe):
        pipe.send(("sent", await _paced(count, rate, commit_one)))
    marker.cancel()
    await nc.close()
    await pool.close()


async def _lean_ledger(pipe: Connection, app_url: str, nats_url: str) -> None:
    """The consumer's work by hand: per fetch, one transaction records the event ids
    not seen before and writes their effects; then each message is acknowledged."""
    pool = AsyncConnectionPool(_libpq_url(app_url, f"lean_ledger_{TENANT}"), min_size=1,
                               max_size=5, open=False)  # fmt: skip
    await pool.open()
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    pipe.send(("ready",))
    async for _, count in _commands(pipe):
        durable = f"lean-{uuid.uuid4().hex[:8]}"
        await js.add_consumer("MOSAICO_EVENTS", ConsumerConfig(
            durable_name=durable, filter_subject=LEAN_SUBJECT, ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW, max_ack_pending=2048))  # fmt: skip
        subscription = await js.pull_subscribe_bind(durable, stream="MOSAICO_EVENTS")
        pipe.send(("listening",))
        latencies: list[float] = []
        while len(latencies) < count:
            try:
                messages = await subscription.fetch(64, timeout=1.0)
            except (nats.errors.TimeoutError, TimeoutError):
                continue
            events = [json.loads(m.data) for m in messages]
            async with pool.connection() as db:
                claimed = {row[0] for row in await (await db.execute(
                    "INSERT INTO consumed_events (consumer, event_id, event_type) "
                    "SELECT 'lean', unnest(%s::uuid[]), 'OrderPlaced' "
                    "ON CONFLICT DO NOTHING RETURNING event_id::text",
                    [[e["id"] for e in events]])).fetchall()}  # fmt: skip
                fresh = [e for e in events if e["id"] in claimed]
                await db.execute(
                    "INSERT INTO effects (event_id, committed_at) "
                    "SELECT unnest(%s::text[]), unnest(%s::float8[])",
                    [[e["id"] for e in fresh], [e["payload"]["committed_at"] for e in fresh]],
                )
            now = time.time()
            latencies.extend(now - e["payload"]["committed_at"] for e in fresh)
            for message in messages:
                await message.ack()
        pipe.send(("applied", time.monotonic(), latencies[:count]))
        await js.delete_consumer("MOSAICO_EVENTS", durable)
    await nc.close()
    await pool.close()


ROLES: dict[str, Role] = {
    "producer": _producer, "ledger": _ledger,
    "raw_publisher": _raw_publisher, "raw_fetcher": _raw_fetcher,
    "lean_producer": _lean_producer, "lean_ledger": _lean_ledger,
}  # fmt: skip
#: What is measured: the backbone's sender and receiver, and the baselines'. The
#: backbone goes first: it creates the streams.
PATHS = {
    "backbone": ("producer", "ledger"),
    "lean": ("lean_producer", "lean_ledger"),
    "raw": ("raw_publisher", "raw_fetcher"),
}


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

    def cpu_seconds(self) -> list[float]:
        """CPU time each process has used so far."""
        return [harness.cpu_seconds(process.pid) for process in self.processes]

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


@dataclass
class Measured:
    """One path's figures."""

    rate: float = 0.0
    #: CPU per event: the sender's and receiver's processes, and the whole machine's
    #: (PostgreSQL and NATS included).
    cpu_ms: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: Writing transactions per event, every database of the server (each one a WAL
    #: flush at its commit).
    writes: float = 0.0
    latencies: dict[int, list[float]] = field(default_factory=dict)


def _busy_seconds() -> float:
    """CPU time the whole machine spent busy so far (``/proc/stat``)."""
    ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _next_transaction_id(postgres: LocalPostgres) -> int:
    """The id the server's next writing transaction gets (reading it takes none)."""
    with psycopg.connect(postgres.dsn(), autocommit=True) as admin:
        row = admin.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text").fetchone()
    assert row is not None
    return int(row[0])


#: The sender's and the receiver's databases of the backbone and the lean baseline.
DATABASES = (f"orders_{TENANT}", f"ledger_{TENANT}", f"lean_orders_{TENANT}",
             f"lean_ledger_{TENANT}")  # fmt: skip


def _measure(postgres: LocalPostgres, nats_url: str, name: str) -> Measured:
    measured = Measured()
    pair = Pair(*PATHS[name], postgres.app_url, nats_url)
    try:
        pair.run(500)  # warm up
        time.sleep(0.5)  # its last marks land
        cpu, busy, xid = pair.cpu_seconds(), _busy_seconds(), _next_transaction_id(postgres)
        measured.rate, _ = pair.run(EVENTS)
        after = pair.cpu_seconds()
        machine_ms = (_busy_seconds() - busy) / EVENTS * 1000
        measured.cpu_ms = ((after[0] - cpu[0]) / EVENTS * 1000,
                           (after[1] - cpu[1]) / EVENTS * 1000, machine_ms)  # fmt: skip
        time.sleep(0.5)
        measured.writes = (_next_transaction_id(postgres) - xid) / EVENTS
        for rate in (UNDER, RATE):
            _, measured.latencies[rate] = pair.run(rate * LATENCY_SECONDS, rate)
    finally:
        pair.close()
    return measured


async def run(postgres: LocalPostgres, nats_url: str) -> str:
    started, load_before = datetime.now(UTC), harness.load_average()
    for database in DATABASES:
        _create_schema(postgres, database)
    paths = {name: _measure(postgres, nats_url, name) for name in PATHS}
    sweep = await sweeper_cost(postgres, nats_url)
    backbone, lean, raw = paths["backbone"], paths["lean"], paths["raw"]

    def ms(values: list[float], q: float) -> str:
        return f"{_percentile(values, q) * 1000:,.1f}"

    def row(label: str, m: Measured) -> str:
        sender, receiver, machine = m.cpu_ms
        return (
            f"| {label} | {m.rate:,.0f} | {ms(m.latencies[UNDER], 0.5)} | "
            f"{ms(m.latencies[UNDER], 0.99)} | {ms(m.latencies[RATE], 0.5)} | "
            f"{ms(m.latencies[RATE], 0.99)} | {sender:.2f} / {receiver:.2f} / {machine:.2f} | "
            f"{m.writes:.2f} |"
        )

    drain, idle = sweep["drain"], sweep["idle"]
    p99 = _percentile(backbone.latencies[RATE], 0.99) * 1000
    lines = [
        "### events: commit -> JetStream -> consumer's effect",
        "",
        f"{EVENTS:,} events for throughput ({WRITERS} concurrent writers); {UNDER:,} and "
        f"{RATE:,} events/s offered for {LATENCY_SECONDS} s each for latency. Same payloads, "
        "same run; the sender and the receiver of each path run in processes of their own, "
        "as two modules' pods do.",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC; commit {harness.commit()}",
        f"- machine: {harness.machine()}",
        "- load generator: the sender processes themselves (asyncio, "
        f"{WRITERS} writers or a fixed offered rate)",
        f"- load average (1/5/15 min) before: {load_before}; after: {harness.load_average()}",
        f"- command: `{harness.CONFIG.command}`",
        "",
        f"| path | events/s | p50 ms at {UNDER}/s | p99 ms at {UNDER}/s | p50 ms at "
        f"{RATE:,}/s | p99 ms at {RATE:,}/s | CPU ms per event: sender / receiver / machine "
        "| writing transactions per event |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        row("raw nats-py publish + fetch (baseline, no database)", raw),
        row("lean: psycopg_pool + nats-py by hand, the same transactions", lean),
        row("backbone: commit, relay, JetStream, consumer transaction", backbone),
        "",
        f"- backbone throughput: {backbone.rate / raw.rate:.0%} of raw nats-py (target: at "
        f"least 50%), {backbone.rate / lean.rate:.0%} of the lean same-work baseline",
        f"- backbone p99 at {RATE:,}/s: {p99:,.1f} ms (target: under 50 ms); at {UNDER}/s: "
        f"{ms(backbone.latencies[UNDER], 0.99)} ms",
        "- the machine's CPU per event bounds each path at about 2 cores / machine ms: "
        + ", ".join(f"{name} {2000 / m.cpu_ms[2]:,.0f}/s" for name, m in paths.items()),
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
