"""The outbox: events written in the same transaction as the change that caused them.

The module's relay (``mosaico_shared.events``) publishes the rows to NATS JetStream
right after the transaction commits, and its sweeper publishes whatever was left
behind; ``published_at`` is set once JetStream acknowledged. Nothing is lost when NATS
is down, because the event is only as committed as the change itself.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import DateTime, Index, SmallInteger, String, event, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column

from mosaico_shared.events.envelope import Envelope, event_subject
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.session import SESSION_DATABASES

__all__ = ["OutboxMixin", "event_subject", "record_event"]

_COMMITTING = "mosaico.outbox.rows"


class OutboxMixin:
    """Columns of a module's ``outbox`` table; a service declares
    ``class OutboxEvent(OutboxMixin, ModuleBase): __tablename__ = "outbox"``."""

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        # Relays scan only what is still to publish.
        return (
            Index(
                "ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")
            ),
        )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(64))
    schema_version: Mapped[int] = mapped_column(SmallInteger, server_default=text("1"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Row = TypeVar("Row", bound=OutboxMixin)


def record_event(
    session: AsyncSession, row_type: type[Row], *, tenant: str, module: str, event: BaseModel
) -> Row:
    """Add ``event`` (its class name is its type) to the outbox table ``row_type``; it
    commits or rolls back with the caller's change, and is published right after the
    commit when the session came from ``open_tenant_session``."""
    event_type = type(event).__name__
    row = row_type()
    row.id = uuid.uuid4()
    row.subject = event_subject(tenant, module, event_type)
    row.type = event_type
    row.schema_version = int(getattr(type(event), "schema_version", 1))
    row.payload = event.model_dump(mode="json")
    # Set here rather than by the server, so the envelope published from memory right
    # after the commit and one the sweeper reads back from the row say the same time.
    row.created_at = datetime.now(UTC)
    session.add(row)
    envelope = Envelope(
        id=row.id,
        type=event_type,
        tenant=tenant,
        module=module,
        occurred_at=row.created_at,
        schema_version=row.schema_version,
        payload=row.payload,
    )
    _publish_after_commit(session.sync_session, envelope)
    return row


def _publish_after_commit(session: Session, envelope: Envelope) -> None:
    session.info.setdefault(_COMMITTING, []).append(envelope)


# Listening on the class, once, rather than on each session that writes an event: a
# listener added to one session costs ten times what the session itself costs to make.
@event.listens_for(Session, "after_commit")
def _announce_committed(session: Session) -> None:
    waiting: list[Envelope] = session.info.get(_COMMITTING, [])
    if not waiting:
        return
    committed = list(waiting)
    waiting.clear()
    databases: TenantDatabases | None = session.info.get(SESSION_DATABASES)
    listener = databases.outbox_listener if databases is not None else None
    if listener is None:
        return  # the sweeper publishes them
    by_tenant: dict[str, list[Envelope]] = {}
    for envelope in committed:
        by_tenant.setdefault(envelope.tenant, []).append(envelope)
    for tenant, envelopes in by_tenant.items():
        listener(tenant, envelopes)


@event.listens_for(Session, "after_rollback")
def _forget_uncommitted(session: Session) -> None:
    waiting: list[Envelope] | None = session.info.get(_COMMITTING)
    if waiting:
        waiting.clear()
