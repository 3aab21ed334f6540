"""The streams, created or updated at start from settings, the same on every replica."""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from mosaico_shared.events.settings import EventSettings

logger = logging.getLogger("mosaico.events")

DAY = 86_400.0
#: Dead letters: ``mosaico-dead.<tenant>.<module>.<consumer>`` (outside ``mosaico.>``).
DEAD_LETTER_ROOT = "mosaico-dead"


def dead_letter_subject(tenant: str, module: str, consumer: str) -> str:
    """Where a dead letter of ``consumer`` (of ``module``) for ``tenant`` is kept."""
    return f"{DEAD_LETTER_ROOT}.{tenant}.{module}.{consumer}"


def event_stream_config(settings: EventSettings) -> StreamConfig:
    """The append-only event log."""
    return StreamConfig(
        name=settings.events_stream,
        description="Mosaico events: the append-only log of every module's events",
        subjects=list(settings.events_subjects),
        retention=RetentionPolicy(settings.events_retention),
        max_age=settings.events_max_age_days * DAY,
        storage=StorageType(settings.events_storage),
        num_replicas=settings.events_stream_replicas,
        duplicate_window=settings.events_duplicate_window_seconds,
        discard=DiscardPolicy.OLD,
        deny_delete=True,
        deny_purge=False,
        allow_direct=True,
    )


def dead_letter_stream_config(settings: EventSettings) -> StreamConfig:
    """Messages that failed their last delivery, kept until replayed or expired."""
    return StreamConfig(
        name=settings.dead_letter_stream,
        description="Mosaico dead letters: events a consumer could not apply",
        subjects=[f"{DEAD_LETTER_ROOT}.>"],
        retention=RetentionPolicy.LIMITS,
        max_age=settings.dead_letter_max_age_days * DAY,
        storage=StorageType(settings.events_storage),
        num_replicas=settings.events_stream_replicas,
        duplicate_window=settings.events_duplicate_window_seconds,
        discard=DiscardPolicy.OLD,
        allow_direct=True,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    """Create the stream, or bring an existing one to ``config``; a no-op when it
    already matches. Replicas starting together may both create: the loser updates."""
    assert config.name is not None
    try:
        info = await js.stream_info(config.name)
    except NotFoundError:
        try:
            await js.add_stream(config)
            logger.info("stream %s created", config.name)
            return
        except Exception as exc:
            logger.info("stream %s not created (%s); reading it", config.name, exc)
            info = await js.stream_info(config.name)
    if _differs(info.config, config):
        await js.update_stream(config)
        logger.info("stream %s updated to the settings", config.name)


def _differs(current: StreamConfig, wanted: StreamConfig) -> bool:
    fields = (
        "subjects", "retention", "max_age", "storage", "num_replicas",
        "duplicate_window", "discard", "deny_delete", "deny_purge", "description",
    )  # fmt: skip
    return any(getattr(current, f) != getattr(wanted, f) for f in fields)


async def ensure_streams(js: JetStreamContext, settings: EventSettings) -> None:
    """Both streams, as the settings say."""
    await ensure_stream(js, event_stream_config(settings))
    await ensure_stream(js, dead_letter_stream_config(settings))
