"""Events the CRM emits, written to the outbox in the transaction of the change.

A relay publishes unpublished rows to NATS JetStream under their ``subject``
(``mosaico.<tenant>.crm.<event_snake>``) and sets ``published_at``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from mosaico_shared.outbox import record_event
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.models import OutboxEvent


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


def record_lead_event(session: AsyncSession, *, tenant: str, event: CrmEvent) -> OutboxEvent:
    """Add ``event`` to the CRM's outbox; it commits or rolls back with the change."""
    return record_event(session, OutboxEvent, tenant=tenant, module="crm", event=event)
