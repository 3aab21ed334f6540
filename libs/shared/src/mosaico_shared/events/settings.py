"""Settings of the event backbone (``MOSAICO_*``); every module's settings have them."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventSettings(BaseSettings):
    """Where NATS is, how the streams look, and how relays and consumers pace themselves."""

    model_config = SettingsConfigDict(env_prefix="MOSAICO_", extra="ignore")

    #: NATS with JetStream (``nats://nats.nats.svc:4222``); unset, events stay in the
    #: outbox until a relay can publish them.
    nats_url: str | None = None
    #: The append-only event log: every ``mosaico.>`` subject.
    events_stream: str = "MOSAICO_EVENTS"
    events_subjects: list[str] = Field(default_factory=lambda: ["mosaico.>"])
    events_retention: Literal["limits", "interest", "workqueue"] = "limits"
    events_max_age_days: float = Field(default=365.0, gt=0)
    events_storage: Literal["file", "memory"] = "file"
    events_stream_replicas: int = Field(default=1, ge=1, le=5)
    #: A republish of the same event id inside this window is not a second message.
    events_duplicate_window_seconds: float = Field(default=900.0, ge=0.1)
    #: Messages that failed their last delivery, with the error.
    dead_letter_stream: str = "MOSAICO_DEAD_LETTERS"
    dead_letter_max_age_days: float = Field(default=90.0, gt=0)
    #: A publish that JetStream has not acknowledged by then counts as failed.
    events_publish_timeout_seconds: float = Field(default=5.0, gt=0)
    #: Outbox rows claimed and published in one transaction.
    events_publish_batch: int = Field(default=500, ge=1, le=10_000)
    #: Tenant databases the hot path publishes for at once.
    events_publish_concurrency: int = Field(default=8, ge=1)
    #: How long the hot path gathers acknowledged ids before marking them published,
    #: in one statement per tenant (the events are already out).
    events_mark_linger_seconds: float = Field(default=0.1, ge=0, le=5)
    #: The sweeper's pass over every tenant database of the module.
    events_sweep_interval_seconds: float = Field(default=10.0, gt=0)
    #: Tenant databases the sweeper has open at once (its share of the connection budget).
    events_sweep_concurrency: int = Field(default=4, ge=1)
    #: Rows younger than this are left to the hot path that is publishing them.
    events_sweep_grace_seconds: float = Field(default=2.0, ge=0)
    #: Pull consumers: redelivery after ``ack_wait`` without an ack, at most
    #: ``max_deliver`` deliveries, waiting ``backoff`` between failed attempts.
    events_ack_wait_seconds: float = Field(default=30.0, gt=0)
    events_max_deliver: int = Field(default=5, ge=1)
    events_backoff_seconds: list[float] = Field(default_factory=lambda: [1.0, 5.0, 30.0, 120.0])
    #: Messages a consumer applies at once, and asks JetStream for per fetch.
    events_consumer_concurrency: int = Field(default=8, ge=1)
    events_consumer_batch: int = Field(default=64, ge=1)
    #: How often consumer lag and dead-letter depth are read for the metrics.
    events_stats_interval_seconds: float = Field(default=15.0, gt=0)
    #: Wait between attempts to reach NATS while it is away.
    events_reconnect_seconds: float = Field(default=2.0, gt=0)

    @model_validator(mode="after")
    def _duplicates_are_dropped(self) -> Self:
        # The sweeper publishes again a row the hot path published but had not marked
        # yet only once the row is older than the grace period; JetStream drops that
        # second publish only if its duplicate window is longer.
        if self.events_duplicate_window_seconds <= self.events_sweep_grace_seconds:
            raise ValueError(
                "events_duplicate_window_seconds must be longer than "
                "events_sweep_grace_seconds, or a row published right after its commit "
                "and swept before it was marked would be in the stream twice"
            )
        # Rows the hot path will mark in a moment are not the sweeper's to publish again.
        if 0 < self.events_sweep_grace_seconds <= self.events_mark_linger_seconds:
            raise ValueError(
                "events_sweep_grace_seconds must be longer than events_mark_linger_seconds, "
                "or the sweeper would publish again every row the hot path just published"
            )
        return self
