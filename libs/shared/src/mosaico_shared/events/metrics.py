"""Prometheus metrics of the event backbone, labelled by the module that exports them."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

NATS_CONNECTED = Gauge(
    "mosaico_events_nats_connected",
    "1 while the module is connected to NATS JetStream, 0 while it is away",
    ["module"],
)
OUTBOX_BACKLOG = Gauge(
    "mosaico_outbox_backlog",
    "Outbox events not yet published, over every tenant database (as of the last sweep)",
    ["module"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "mosaico_outbox_oldest_unpublished_age_seconds",
    "Age of the oldest unpublished outbox event (0 when none is waiting)",
    ["module"],
)
EVENTS_PUBLISHED = Counter(
    "mosaico_events_published",
    "Outbox events JetStream acknowledged, by path (commit or sweep)",
    ["module", "path"],
)
PUBLISH_FAILURES = Counter(
    "mosaico_events_publish_failures",
    "Outbox events a publish attempt did not get acknowledged (left for the sweeper)",
    ["module"],
)
SWEEPS = Counter(
    "mosaico_outbox_sweeps",
    "Passes of the sweeper over every tenant database, by outcome",
    ["module", "outcome"],
)
CONSUMER_PENDING = Gauge(
    "mosaico_events_consumer_pending",
    "Messages on the stream a consumer has not yet been delivered (its lag)",
    ["module", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "mosaico_events_consumer_ack_pending",
    "Messages delivered to a consumer and not yet acknowledged",
    ["module", "consumer"],
)
EVENTS_CONSUMED = Counter(
    "mosaico_events_consumed",
    "Messages a consumer finished, by outcome (applied, duplicate, skipped, retried, "
    "dead_lettered)",
    ["module", "consumer", "outcome"],
)
REDELIVERIES = Counter(
    "mosaico_events_redeliveries",
    "Deliveries of a message after its first",
    ["module", "consumer"],
)
DEAD_LETTERS = Counter(
    "mosaico_events_dead_letters",
    "Messages moved to the dead-letter stream after their last delivery",
    ["module", "consumer"],
)
DEAD_LETTER_DEPTH = Gauge(
    "mosaico_events_dead_letter_depth",
    "Dead letters waiting for the module's consumers (as last read)",
    ["module"],
)


def prime(module: str, consumers: list[str]) -> None:
    """Give every series its first sample, so a dashboard shows 0 rather than nothing."""
    NATS_CONNECTED.labels(module)
    OUTBOX_BACKLOG.labels(module)
    OUTBOX_OLDEST_AGE.labels(module)
    PUBLISH_FAILURES.labels(module)
    DEAD_LETTER_DEPTH.labels(module)
    for path in ("commit", "sweep"):
        EVENTS_PUBLISHED.labels(module, path)
    for outcome in ("ok", "failed"):
        SWEEPS.labels(module, outcome)
    for consumer in consumers:
        CONSUMER_PENDING.labels(module, consumer)
        CONSUMER_ACK_PENDING.labels(module, consumer)
        REDELIVERIES.labels(module, consumer)
        DEAD_LETTERS.labels(module, consumer)
        for outcome in ("applied", "duplicate", "skipped", "retried", "dead_lettered"):
            EVENTS_CONSUMED.labels(module, consumer, outcome)
