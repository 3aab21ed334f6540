"""What a consumer already applied, kept in the consumer's own tenant database."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column


class ConsumedEventMixin:
    """Columns of a consuming module's ``consumed_events`` table; a service declares
    ``class ConsumedEvent(ConsumedEventMixin, ModuleBase): __tablename__ =
    "consumed_events"``. The consumer inserts (consumer, event id) in the transaction
    of the effect, so a redelivered event finds its row and changes nothing."""

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    consumed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
