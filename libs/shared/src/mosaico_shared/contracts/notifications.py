"""Events notifications emits (``mosaico.<tenant>.notifications.<event>``): how each
message's delivery ended, for modules that act on it (a CRM activity, a payment reminder
that did not arrive)."""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import AwareDatetime, Field

from mosaico_shared.contracts.events import EventPayload

Channel = Literal["email", "webhook"]


class NotificationsEvent(EventPayload):
    module: ClassVar[str] = "notifications"

    message_id: uuid.UUID
    channel: Channel
    template: str = Field(max_length=64)
    #: The event the message was sent on (None: sent on request).
    source_event_id: uuid.UUID | None = None
    attempts: int = Field(ge=0)


class MessageSent(NotificationsEvent):
    """The other side took the message (the SMTP server, the webhook's receiver)."""

    sent_at: AwareDatetime


class MessageFailed(NotificationsEvent):
    """The message failed for good: refused, or out of attempts."""

    failed_at: AwareDatetime
    error: str = Field(max_length=500)
