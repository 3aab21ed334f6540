"""Events the CRM emits, written to the outbox in the transaction of the change.

A relay publishes unpublished rows to NATS JetStream under their ``subject``
(``mosaico.<tenant>.crm.<event_snake>``) and sets ``published_at``.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.models import OutboxEvent

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


class LeadCreated(BaseModel):
    lead_id: uuid.UUID
    name: str
    stage_id: uuid.UUID
    owner_id: uuid.UUID
    estimated_value: Decimal
    created_by: uuid.UUID


class LeadStageChanged(BaseModel):
    lead_id: uuid.UUID
    from_stage_id: uuid.UUID
    to_stage_id: uuid.UUID
    moved_by: uuid.UUID
    moved_at: datetime


class LeadWon(BaseModel):
    lead_id: uuid.UUID
    stage_id: uuid.UUID
    estimated_value: Decimal
    reason: str | None
    closed_by: uuid.UUID
    closed_at: datetime


class LeadLost(LeadWon):
    pass


CrmEvent = LeadCreated | LeadStageChanged | LeadWon | LeadLost


def event_subject(tenant: str, event_type: str) -> str:
    """``mosaico.<tenant>.crm.<event_snake>`` (``LeadWon`` -> ``lead_won``)."""
    return f"mosaico.{tenant}.crm.{_WORD_START.sub('_', event_type).lower()}"


def record_event(session: AsyncSession, *, tenant: str, event: CrmEvent) -> OutboxEvent:
    """Add ``event`` to the outbox; it commits or rolls back with the caller's change."""
    event_type = type(event).__name__
    row = OutboxEvent(
        subject=event_subject(tenant, event_type),
        type=event_type,
        payload=event.model_dump(mode="json"),
    )
    session.add(row)
    return row
