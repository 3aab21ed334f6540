"""Events notifications emits, written to the outbox in the transaction of the change.

The contracts live in ``mosaico_shared.contracts.notifications``; the relay publishes
each row to NATS JetStream (``mosaico.<tenant>.notifications.<event_snake>``) right
after the commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mosaico_shared.contracts.notifications import MessageFailed, MessageSent
from mosaico_shared.outbox import record_event
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.models import Message, OutboxEvent

__all__ = ["MessageFailed", "MessageSent", "record_delivery_outcome"]


def record_delivery_outcome(
    session: AsyncSession, *, tenant: str, message: Message, attempts: int, error: str | None
) -> OutboxEvent:
    """``MessageSent`` (no ``error``) or ``MessageFailed`` for ``message``; it commits or
    rolls back with the change that ended the delivery."""
    now = datetime.now(UTC)
    common = {"message_id": message.id, "channel": message.channel,
              "template": message.template_key, "source_event_id": message.event_id,
              "attempts": attempts}  # fmt: skip
    event: MessageSent | MessageFailed = (
        MessageSent(**common, sent_at=now)
        if error is None
        else MessageFailed(**common, failed_at=now, error=error[:500])
    )
    return record_event(session, OutboxEvent, tenant=tenant, module="notifications", event=event)
