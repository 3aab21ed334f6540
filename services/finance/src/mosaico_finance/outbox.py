"""The outbox: events written in the same transaction as the change that caused them;
a relay publishes them to NATS JetStream later, so none is lost when NATS is down."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.models import OutboxEvent


def event_subject(tenant: str, event: str) -> str:
    """``mosaico.<tenant>.finance.<event>``."""
    return f"mosaico.{tenant}.finance.{event}"


async def emit(
    session: AsyncSession, *, tenant: str, event: str, type: str, payload: dict[str, Any]
) -> OutboxEvent:
    """Queue an event; it commits or rolls back with the caller's transaction."""
    row = OutboxEvent(
        id=uuid.uuid4(),
        subject=event_subject(tenant, event),
        type=type,
        payload=payload,
    )
    session.add(row)
    return row
