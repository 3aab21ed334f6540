"""Durable pull consumers: explicit acks, bounded concurrency, idempotent effects, and a
dead letter after the last delivery.

A module declares what it consumes::

    income = EventConsumer("payment-income", processed=ConsumedEvent)

    @income.handles(PaymentSucceeded)
    async def record_income(session: AsyncSession, event: Event[PaymentSucceeded]) -> None:
        ...  # changes in the tenant's database; the consumer commits them

and hands it to its ``EventBackbone``. The handler runs in a transaction on the event
tenant's database of the consuming module, which also records the event id; when the
handler raises, nothing of it stays and the message is delivered again after a backoff,
until the last delivery sends it to the dead-letter stream.

A tenant's messages are applied one transaction at a time, each taking every message of
the tenant fetched while the one before ran (one commit, one WAL flush, for all of them,
their ids recorded in one statement): a busy tenant's transactions grow instead of
multiplying, and its events apply in the order they came. When any of them fails, that
transaction rolls back and each message is applied again behind a savepoint of its own,
so only the failing one is retried or dead-lettered and the others still take effect
exactly once.

A last delivery that gets no answer at all (the replica holding it died, or its handler
hung past ``AckWait``) is not lost either: JetStream then publishes a ``MAX_DELIVERIES``
advisory, and whichever replica hears it (one per consumer, a queue group) reads the
message back from the stream by its sequence and dead-letters it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, overload

from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_shared.contracts.events import EventPayload
from mosaico_shared.events.bus import EventBus, NatsAway
from mosaico_shared.events.envelope import Envelope, Event, subject_of
from mosaico_shared.events.metrics import (
    DEAD_LETTERS,
    EVENTS_CONSUMED,
    REDELIVERIES,
)
from mosaico_shared.events.processed import ConsumedEventMixin
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.events.streams import dead_letter_subject
from mosaico_shared.problems import is_missing_database
from mosaico_shared.tasks import stop_task
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.session import open_tenant_session

logger = logging.getLogger("mosaico.events")
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")

P = TypeVar("P", bound=EventPayload)
Handler = Callable[[AsyncSession, Event[Any]], Awaitable[None]]
Registered = tuple[type[EventPayload], Handler]
Outcome = Literal["applied", "duplicate", "skipped"]

#: Dead-letter headers.
CONSUMER = "Mosaico-Consumer"
ERROR = "Mosaico-Error"
ATTEMPTS = "Mosaico-Attempts"
ORIGINAL_SUBJECT = "Mosaico-Subject"
ORIGINAL_SEQUENCE = "Mosaico-Stream-Sequence"
FAILED_AT = "Mosaico-Failed-At"


class EventConsumer:
    """What one durable consumer of a module handles: event contracts and handlers."""

    def __init__(self, name: str, *, processed: type[ConsumedEventMixin]) -> None:
        if not _NAME.match(name):
            raise ValueError(f"a consumer name is lower-case letters, digits, '-': {name!r}")
        self.name = name
        table = processed.__table__  # type: ignore[attr-defined]
        assert isinstance(table, Table)
        self.processed = table
        self.handlers: dict[str, tuple[type[EventPayload], Handler]] = {}

    def handles(self, contract: type[P]) -> Callable[[Handler], Handler]:
        """Register the decorated coroutine as the handler of ``contract``'s events."""

        def register(handler: Handler) -> Handler:
            self.handlers[contract.event_type()] = (contract, handler)
            return handler

        return register

    def subjects(self) -> list[str]:
        """The stream subjects this consumer reads, for every tenant."""
        return sorted({subject_of(contract) for contract, _ in self.handlers.values()})

    def durable(self, module: str) -> str:
        """The JetStream durable name: ``<module>-<name>``."""
        return f"{module}-{self.name}"


class ApplyFailed(Exception):
    """A handler raised; the message will be delivered again."""


#: Deadlock victims and serialization failures: the same transaction passes again.
_CONTENDED_STATES = {"40P01", "40001"}
_CONTENDED_ATTEMPTS = 4


def _contended(exc: BaseException | None) -> bool:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in _CONTENDED_STATES


def _by_tenant(messages: list[Msg]) -> dict[str, list[Msg]]:
    """Messages grouped by the tenant their subject names (``mosaico.<tenant>.…``), in
    the order they came."""
    groups: dict[str, list[Msg]] = {}
    for message in messages:
        parts = message.subject.split(".", 2)
        groups.setdefault(parts[1] if len(parts) > 2 else "", []).append(message)
    return groups


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\r", " ").replace("\n", " ")
    return text[:500]


@dataclass
class ConsumerRunner:
    """Runs one consumer on one replica: fetches, applies, acks."""

    consumer: EventConsumer
    module: str
    bus: EventBus
    databases: TenantDatabases
    settings: EventSettings

    def __post_init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(self.settings.events_consumer_concurrency)
        #: Messages fetched and not yet answered, over every tenant's transaction: at
        #: most the concurrency, so none waits in hand long enough to outlive its ack
        #: wait while earlier ones are applied.
        self._held = 0
        self._capacity = self.settings.events_consumer_concurrency
        self._room = asyncio.Event()
        #: Per tenant, the messages fetched while its transaction was running: the next
        #: transaction takes them all.
        self._waiting: dict[str, list[Msg]] = {}
        self._applying: set[str] = set()

    @property
    def durable(self) -> str:
        """The JetStream durable consumer's name."""
        return self.consumer.durable(self.module)

    @property
    def max_deliveries_subject(self) -> str:
        """Where JetStream says a message of this consumer ran out of deliveries."""
        stream = self.settings.events_stream
        return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{self.durable}"

    def config(self) -> ConsumerConfig:
        """The durable consumer as the settings say."""
        return ConsumerConfig(
            durable_name=self.durable,
            description=f"{self.module}: {self.consumer.name}",
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.settings.events_ack_wait_seconds,
            max_deliver=self.settings.events_max_deliver,
            filter_subjects=self.consumer.subjects(),
            max_ack_pending=max(
                self.settings.events_consumer_batch, self.settings.events_consumer_concurrency
            )
            * 4,
        )

    def start(self) -> None:
        """Consume in the background until ``close``."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        """Stop fetching; messages in hand are redelivered to another replica."""
        await stop_task(self._task)

    async def _run(self) -> None:
        while True:
            try:
                js = self.bus.js
                await js.add_consumer(self.settings.events_stream, self.config())
                subscription = await js.pull_subscribe_bind(
                    self.durable, stream=self.settings.events_stream
                )
                advisories = await self.bus.nc.subscribe(
                    self.max_deliveries_subject, queue=self.durable, cb=self._on_max_deliveries
                )
                try:
                    await self._fetch_loop(subscription)
                finally:
                    with contextlib.suppress(Exception):
                        await advisories.unsubscribe()
            except asyncio.CancelledError:
                raise
            except NatsAway:
                pass
            except Exception as exc:
                logger.warning("events: consumer %s paused (%s)", self.durable, _one_line(exc))
            await asyncio.sleep(self.settings.events_reconnect_seconds)

    async def _fetch_loop(self, subscription: JetStreamContext.PullSubscription) -> None:
        in_hand: set[asyncio.Task[None]] = set()
        try:
            await self._fetch(subscription, in_hand)
        finally:
            # Stopping (or a lost connection): what is in hand is given up, its
            # transactions roll back and JetStream delivers it again after the ack wait;
            # nothing outlives the runner to answer on a closed connection.
            for task in in_hand:
                task.cancel()
            if in_hand:
                await asyncio.gather(*in_hand, return_exceptions=True)

    async def _fetch(
        self, subscription: JetStreamContext.PullSubscription, in_hand: set[asyncio.Task[None]]
    ) -> None:
        while self.bus.connected:
            free = self._capacity - self._held
            if free <= 0:
                self._room.clear()
                await self._room.wait()
                continue
            try:
                messages = await subscription.fetch(
                    min(free, self.settings.events_consumer_batch), timeout=1.0
                )
            except (NatsTimeout, TimeoutError):
                continue
            for tenant, group in _by_tenant(messages).items():
                self._held += len(group)
                self._waiting.setdefault(tenant, []).extend(group)
                if tenant not in self._applying:
                    self._applying.add(tenant)
                    task = asyncio.get_running_loop().create_task(self._apply_waiting(tenant))
                    in_hand.add(task)
                    task.add_done_callback(in_hand.discard)
        if in_hand:  # connection lost: answers still in flight get one ack wait to land
            await asyncio.wait(in_hand, timeout=self.settings.events_ack_wait_seconds)

    async def _apply_waiting(self, tenant: str) -> None:
        """One transaction at a time per tenant, each taking every message of the tenant
        fetched meanwhile: a busy tenant's transactions grow instead of multiplying, and
        its events are applied in the order they came."""
        try:
            while group := self._waiting.pop(tenant, None):
                try:
                    await self._answer(group)
                finally:
                    self._release(len(group))
        finally:
            # Given up (stopping): what still waits is JetStream's to deliver again
            # after its ack wait.
            self._applying.discard(tenant)
            self._release(len(self._waiting.pop(tenant, ())))

    def _release(self, answered: int) -> None:
        self._held -= answered
        self._room.set()

    async def _answer(self, group: list[Msg]) -> None:
        """Handle one tenant's messages (see the module's docstring); an answer the
        connection lost is JetStream's to redeliver."""
        try:
            await self._handle(group)
        except NatsError as exc:
            logger.warning(
                "events: %s could not answer %d message(s) from %d on (%s); they will be "
                "delivered again",
                self.durable, len(group), group[0].metadata.sequence.stream, _one_line(exc),
            )  # fmt: skip

    async def _handle(self, group: list[Msg]) -> None:
        readable: list[tuple[Msg, Envelope]] = []
        for message in group:
            if message.metadata.num_delivered > 1:
                REDELIVERIES.labels(self.module, self.durable).inc()
            try:
                readable.append((message, Envelope.decode(message.data)))
            except ValidationError as exc:
                await self._dead_letter(message, exc, message.metadata.num_delivered)
        if not readable:
            return
        envelopes = [envelope for _, envelope in readable]
        results: list[Outcome | BaseException]
        try:
            results = list(await self.apply_all(envelopes))
        except ApplyFailed as failed:
            if len(envelopes) == 1:
                results = [failed.__cause__ or failed]
            else:  # again, each event behind a savepoint: only the failing ones fail
                try:
                    results = await self.apply_all(envelopes, isolate=True)
                except ApplyFailed as again:
                    results = [again.__cause__ or again] * len(envelopes)
        for (message, envelope), result in zip(readable, results, strict=True):
            if isinstance(result, BaseException):
                await self._failed(message, envelope, result)
            else:
                EVENTS_CONSUMED.labels(self.module, self.durable, result).inc()
                await message.ack()

    async def _failed(self, message: Msg, envelope: Envelope, cause: BaseException) -> None:
        """Deliver again after the backoff, or dead-letter after the last delivery."""
        attempt = message.metadata.num_delivered
        if attempt >= self.settings.events_max_deliver:
            await self._dead_letter(message, cause, attempt, envelope)
            return
        EVENTS_CONSUMED.labels(self.module, self.durable, "retried").inc()
        logger.warning(
            "events: %s failed on %s %s (attempt %d of %d): %s",
            self.durable, envelope.type, envelope.id, attempt,
            self.settings.events_max_deliver, _one_line(cause),
            extra={"tenant": envelope.tenant},
        )  # fmt: skip
        await message.nak(delay=self._backoff(attempt))

    def _backoff(self, attempt: int) -> float:
        steps = self.settings.events_backoff_seconds or [0.0]
        return steps[min(attempt, len(steps)) - 1]

    async def apply(self, envelope: Envelope) -> Outcome:
        """Apply one event once: the handler and the record of its id commit together.
        ``duplicate`` when it was applied before, ``skipped`` when this consumer does not
        handle its type or the tenant has no database in this module; raises
        ``ApplyFailed`` when the handler (or reading the payload) fails."""
        [outcome] = await self.apply_all([envelope])
        return outcome

    @overload
    async def apply_all(
        self, envelopes: list[Envelope], *, isolate: Literal[False] = False
    ) -> list[Outcome]: ...

    @overload
    async def apply_all(
        self, envelopes: list[Envelope], *, isolate: Literal[True]
    ) -> list[Outcome | BaseException]: ...

    async def apply_all(
        self, envelopes: list[Envelope], *, isolate: bool = False
    ) -> list[Outcome] | list[Outcome | BaseException]:
        """Apply events of one tenant in one transaction, each once, as ``apply`` does
        for one. Without ``isolate``, any failure rolls everything back (``ApplyFailed``);
        with it, each event runs behind a savepoint and a failing one's result is its
        exception while the others commit. ``ApplyFailed`` either way when the
        transaction itself cannot be had or committed.

        A transaction PostgreSQL chose as a deadlock victim, or refused for a
        serialization conflict, is run again at once (a few times): two replicas
        applying batches of one tenant take the same rows in different orders, and
        that is no reason to spend one of an event's deliveries."""
        for attempt in range(1, _CONTENDED_ATTEMPTS + 1):
            try:
                return await self._apply_all(envelopes, isolate=isolate)
            except ApplyFailed as failed:
                if attempt == _CONTENDED_ATTEMPTS or not _contended(failed.__cause__):
                    raise
                await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)  # noqa: S311 - jitter
        raise AssertionError("unreachable")

    async def _apply_all(
        self, envelopes: list[Envelope], *, isolate: bool
    ) -> list[Outcome | BaseException]:
        results: list[Outcome | BaseException] = ["skipped"] * len(envelopes)
        handled = [
            (n, envelope, registered)
            for n, envelope in enumerate(envelopes)
            if (registered := self.consumer.handlers.get(envelope.type)) is not None
        ]
        if not handled:
            return results
        tenant = handled[0][1].tenant
        if any(envelope.tenant != tenant for _, envelope, _ in handled):
            raise ApplyFailed("events of more than one tenant cannot share a transaction")
        async with self._slots:
            try:
                session = await open_tenant_session(self.databases, tenant)
            except DBAPIError as exc:
                if is_missing_database(exc):
                    return results
                raise ApplyFailed from exc
            async with session:
                try:
                    if isolate:
                        for n, envelope, registered in handled:
                            try:
                                async with session.begin_nested():
                                    results[n] = await self._apply_one(
                                        session, envelope, registered
                                    )
                            except Exception as exc:
                                if _contended(exc):
                                    raise  # the whole transaction is run again
                                results[n] = exc
                    else:
                        for n, outcome in await self._apply_together(session, handled):
                            results[n] = outcome
                    await session.commit()
                except Exception as exc:
                    await session.rollback()
                    raise ApplyFailed from exc
        return results

    async def _apply_together(
        self, session: AsyncSession, handled: list[tuple[int, Envelope, Registered]]
    ) -> list[tuple[int, Outcome]]:
        """Every event of ``handled`` in the session's transaction, their ids claimed in
        one statement: (position, outcome) for each."""
        events = [(n, envelope.open(contract), handler)
                  for n, envelope, (contract, handler) in handled]  # fmt: skip
        claimed = await self._claim(session, [envelope for _, envelope, _ in handled])
        outcomes: list[tuple[int, Outcome]] = []
        for n, event, handler in events:
            if event.id not in claimed:
                outcomes.append((n, "duplicate"))
                continue
            claimed.discard(event.id)  # the same event twice in one fetch applies once
            await handler(session, event)
            outcomes.append((n, "applied"))
        return outcomes

    async def _apply_one(
        self, session: AsyncSession, envelope: Envelope, registered: Registered
    ) -> Outcome:
        [(_, outcome)] = await self._apply_together(session, [(0, envelope, registered)])
        return outcome

    async def _claim(self, session: AsyncSession, envelopes: list[Envelope]) -> set[uuid.UUID]:
        """Record the events' ids as applied by this consumer; the ids not recorded
        before (the ones to apply now)."""
        table = self.consumer.processed
        # One statement, compiled once whatever the number of rows (SQLAlchemy sends
        # the parameter sets as one multi-row INSERT).
        rows = await session.scalars(
            insert(table).on_conflict_do_nothing().returning(table.c.event_id),
            [{"consumer": self.durable, "event_id": e.id, "event_type": e.type}
             for e in envelopes],
        )  # fmt: skip
        return set(rows)

    async def _dead_letter(
        self,
        message: Msg,
        error: BaseException,
        attempt: int,
        envelope: Envelope | None = None,
    ) -> None:
        sequence = message.metadata.sequence.stream
        if await self._publish_dead_letter(
            message.subject, message.data, sequence, _one_line(error), attempt, envelope
        ):
            await message.ack()

    async def _on_max_deliveries(self, advisory: Msg) -> None:
        """A message's last delivery went unanswered: dead-letter it from the stream."""
        try:
            told = json.loads(advisory.data)
            sequence, deliveries = int(told["stream_seq"]), int(told["deliveries"])
            stored = await self.bus.js.get_msg(self.settings.events_stream, sequence)
        except Exception as exc:
            logger.error(
                "events: %s ran out of deliveries but the message could not be read (%s)",
                self.durable, _one_line(exc),
            )  # fmt: skip
            return
        try:
            envelope: Envelope | None = Envelope.decode(stored.data or b"")
        except ValidationError:
            envelope = None
        error = (
            f"no answer after {deliveries} deliveries: the replica holding it died or its "
            f"handler ran past the ack wait of {self.settings.events_ack_wait_seconds:g} s"
        )
        await self._publish_dead_letter(
            stored.subject or "", stored.data or b"", sequence, error, deliveries, envelope
        )

    async def _publish_dead_letter(
        self,
        subject: str,
        data: bytes,
        sequence: int,
        error: str,
        attempt: int,
        envelope: Envelope | None,
    ) -> bool:
        """Publish to the dead-letter stream; whether it was stored. Its message id is
        the consumer and stream sequence: a second report of the same message (from the
        advisory and the handler both) is one dead letter."""
        tokens = subject.split(".")
        tenant = envelope.tenant if envelope else (tokens[1] if len(tokens) > 1 else "unknown")
        headers = {
            "Nats-Msg-Id": f"{self.durable}:{sequence}",
            CONSUMER: self.durable,
            ERROR: error,
            ATTEMPTS: str(attempt),
            ORIGINAL_SUBJECT: subject,
            ORIGINAL_SEQUENCE: str(sequence),
            FAILED_AT: datetime.now(UTC).isoformat(),
        }
        try:
            ack = await self.bus.js.publish(
                dead_letter_subject(tenant, self.module, self.consumer.name),
                data,
                headers=headers,
                stream=self.settings.dead_letter_stream,
            )
        except Exception as exc:
            logger.error(
                "events: %s could not dead-letter message %d (%s); it stays unacknowledged",
                self.durable, sequence, _one_line(exc),
            )  # fmt: skip
            return False
        if ack.duplicate:
            return True
        DEAD_LETTERS.labels(self.module, self.durable).inc()
        EVENTS_CONSUMED.labels(self.module, self.durable, "dead_lettered").inc()
        logger.error(
            "events: %s gave up on message %d after %d attempt(s): %s; it is in the "
            "dead-letter stream",
            self.durable, sequence, attempt, error,
            extra={"tenant": tenant, "event": "dead_letter"},
        )  # fmt: skip
        return True
