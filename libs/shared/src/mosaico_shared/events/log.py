"""The event log: the ``mosaico.>`` stream read back from a sequence or a point in time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from mosaico_shared.events.envelope import Envelope


@dataclass(frozen=True)
class LoggedEvent:
    """An event as the log holds it: its place in the stream and its envelope."""

    sequence: int
    subject: str
    envelope: Envelope


async def read_events(
    js: JetStreamContext,
    stream: str,
    *,
    subject: str = "mosaico.>",
    from_sequence: int | None = None,
    since: datetime | None = None,
    limit: int = 1000,
) -> list[LoggedEvent]:
    """Up to ``limit`` events of ``subject``, oldest first, from ``from_sequence`` or from
    ``since`` (or from the start), through an ephemeral consumer that acks nothing."""
    if from_sequence is not None:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=from_sequence
        )
    elif since is not None:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since)
    else:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    config.ack_policy = AckPolicy.NONE
    config.inactive_threshold = 30.0
    config.filter_subject = subject
    subscription = await js.pull_subscribe(subject, stream=stream, config=config)
    found: list[LoggedEvent] = []
    try:
        info = await subscription.consumer_info()
        remaining = min(limit, info.num_pending or 0)
        while remaining > 0:
            try:
                messages = await subscription.fetch(min(remaining, 256), timeout=2.0)
            except (NatsTimeout, TimeoutError):
                break
            for message in messages:
                found.append(
                    LoggedEvent(
                        sequence=message.metadata.sequence.stream,
                        subject=message.subject,
                        envelope=Envelope.decode(message.data),
                    )
                )
            remaining -= len(messages)
    finally:
        await subscription.unsubscribe()
    return found
