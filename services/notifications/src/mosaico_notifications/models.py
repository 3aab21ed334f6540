"""``notifications_<tenant>``: templates, messages and their delivery log, the tenant's
provider settings, which events it subscribes to, the events already consumed and the
outbox of the events it emits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mosaico_shared.events.processed import ConsumedEventMixin
from mosaico_shared.outbox import OutboxMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CHANNELS = ("email", "webhook")
MESSAGE_STATUSES = ("queued", "sending", "sent", "failed")


class NotificationsBase(DeclarativeBase):
    pass


class Template(NotificationsBase):
    """A message the tenant can send: a subject, an HTML and a text body, all Jinja2
    (rendered in the sandbox). ``key`` is how messages and subscriptions name it."""

    __tablename__ = "templates"
    __mapper_args__ = {"eager_defaults": True}

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Message(NotificationsBase):
    """One message to one recipient over one channel, rendered when it was accepted.

    ``idempotency_key`` makes a repeated request (or a redelivered event) the same
    message: the first answer is kept in ``first_response`` and given again. Workers
    claim due rows with ``FOR UPDATE SKIP LOCKED`` and hold them for a lease, so two
    replicas never send the same message at once; the rendered content is cleared
    once the message is sent or has failed for good.
    """

    __tablename__ = "messages"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="ck_messages_channel"),
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed')", name="ck_messages_status"
        ),
        CheckConstraint("source IN ('api', 'event')", name="ck_messages_source"),
        # What workers look for: due queued messages, and sends whose lease ran out.
        Index(
            "ix_messages_due",
            "next_attempt_at",
            postgresql_where=text("status IN ('queued', 'sending')"),
        ),
        Index("ix_messages_created_at_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    #: SHA-256 of the request as it was understood: the same key with another request is
    #: refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    first_response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(8))
    event_id: Mapped[uuid.UUID | None]
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(320))
    template_key: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    #: The rendered bodies (NULL once the message is sent or failed for good).
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    #: What a webhook delivers besides the rendered parts (NULL with the bodies).
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(8), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryLogEntry(NotificationsBase):
    """One step of a message's life: queued, sending (an attempt), sent, retrying or
    failed, with the error of a failed attempt."""

    __tablename__ = "delivery_log"
    __table_args__ = (
        CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'retrying', 'failed')",
            name="ck_delivery_log_status",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    message_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(8))
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProviderSettings(NotificationsBase):
    """How one channel reaches the outside for this tenant (its SMTP server, its
    webhook endpoint). ``secret`` is encrypted with the module's provider key and is
    never returned by the API."""

    __tablename__ = "provider_settings"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="ck_provider_settings_channel"),
    )

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(JSONB)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Subscription(NotificationsBase):
    """What the tenant sends when another module's event arrives: which template,
    over which channel, to whom (identity's events carry their own address). An event
    may have several (an e-mail to sales and a WhatsApp message, say)."""

    __tablename__ = "subscriptions"
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'webhook')", name="ck_subscriptions_channel"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    template_key: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class OutboxEvent(OutboxMixin, NotificationsBase):
    """An event written with the change that caused it; a relay publishes it to NATS."""

    __tablename__ = "outbox"


class ConsumedEvent(ConsumedEventMixin, NotificationsBase):
    """An event notifications' consumer applied, recorded with the message it queued."""

    __tablename__ = "consumed_events"
