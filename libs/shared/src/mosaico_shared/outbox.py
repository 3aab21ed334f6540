"""The outbox: events written in the same transaction as the change that caused them.

A relay publishes unpublished rows to NATS JetStream under their subject
(``mosaico.<tenant>.<module>.<event_snake>``) and sets ``published_at``; nothing is lost
when NATS is down, because the event is only as committed as the change itself.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import DateTime, Index, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


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
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


Row = TypeVar("Row", bound=OutboxMixin)


def event_subject(tenant: str, module: str, event_type: str) -> str:
    """``mosaico.<tenant>.<module>.<event_snake>`` (``LeadWon`` -> ``lead_won``)."""
    return f"mosaico.{tenant}.{module}.{_WORD_START.sub('_', event_type).lower()}"


def record_event(
    session: AsyncSession, row_type: type[Row], *, tenant: str, module: str, event: BaseModel
) -> Row:
    """Add ``event`` (its class name is its type) to the outbox table ``row_type``; it
    commits or rolls back with the caller's change."""
    event_type = type(event).__name__
    row = row_type()
    row.id = uuid.uuid4()
    row.subject = event_subject(tenant, module, event_type)
    row.type = event_type
    row.payload = event.model_dump(mode="json")
    session.add(row)
    return row
