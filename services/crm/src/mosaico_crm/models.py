"""``crm_<tenant>``: pipeline stages, leads, their stage moves, activities, the outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from mosaico_shared.outbox import OutboxMixin
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STAGE_KINDS = ("open", "won", "lost")
LEAD_STATUSES = ("open", "won", "lost")
ACTIVITY_KINDS = ("call", "meeting", "email", "task")


class CrmBase(DeclarativeBase):
    pass


class Stage(CrmBase):
    """A column of the tenant's pipeline; ``won``/``lost`` stages close the leads in them."""

    __tablename__ = "stages"
    __table_args__ = (
        CheckConstraint("kind IN ('open', 'won', 'lost')", name="ck_stages_kind"),
        Index(
            "uq_stages_active_name",
            text("lower(name)"),
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(8), default="open")
    position: Mapped[int] = mapped_column(Integer)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Lead(CrmBase):
    __tablename__ = "leads"
    # Fetch created_at/updated_at with RETURNING: no lazy load after a flush.
    __mapper_args__ = {"eager_defaults": True}
    __table_args__ = (
        CheckConstraint("estimated_value >= 0", name="ck_leads_estimated_value"),
        CheckConstraint("status IN ('open', 'won', 'lost')", name="ck_leads_status"),
        CheckConstraint("document_kind IN ('cpf', 'cnpj')", name="ck_leads_document_kind"),
        # The list's order (and its keyset cursor) over live leads.
        Index(
            "ix_leads_live_created_at_id",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_leads_tags", "tags", postgresql_using="gin"),
        # ix_leads_search (accent-folded trigrams over name, company and e-mail) is an
        # expression index that exists only where pg_trgm does: migration 0002 owns it.
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    document: Mapped[str | None] = mapped_column(String(14))
    document_kind: Mapped[str | None] = mapped_column(String(4))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str | None] = mapped_column(String(60))
    estimated_value: Mapped[Decimal] = mapped_column(Numeric(15, 2), default=Decimal("0.00"))
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    created_by: Mapped[uuid.UUID]
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stages.id"), index=True)
    status: Mapped[str] = mapped_column(String(4), default="open")
    close_reason: Mapped[str | None] = mapped_column(String(500))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StageMove(CrmBase):
    """One step of a lead's history; the first one (``from_stage_id`` NULL) is its creation."""

    __tablename__ = "stage_moves"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Orders moves made within one transaction, where now() is the same for all.
    seq: Mapped[int] = mapped_column(BigInteger, Identity(), unique=True)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stages.id"))
    moved_by: Mapped[uuid.UUID]
    moved_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), index=True
    )
    reason: Mapped[str | None] = mapped_column(String(500))


class Activity(CrmBase):
    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("kind IN ('call', 'meeting', 'email', 'task')", name="ck_activities_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    lead_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("leads.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_by: Mapped[uuid.UUID | None]
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class OutboxEvent(OutboxMixin, CrmBase):
    """An event written with the change that caused it; a relay publishes it to NATS."""

    __tablename__ = "outbox"
