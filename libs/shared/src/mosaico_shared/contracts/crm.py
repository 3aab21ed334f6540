"""Events the CRM emits (``mosaico.<tenant>.crm.<event>``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from mosaico_shared.contracts.events import EventPayload


class CrmEvent(EventPayload):
    module: ClassVar[str] = "crm"


class LeadCreated(CrmEvent):
    """A lead entered the pipeline."""

    lead_id: uuid.UUID
    name: str
    stage_id: uuid.UUID
    owner_id: uuid.UUID
    estimated_value: Decimal
    created_by: uuid.UUID


class LeadStageChanged(CrmEvent):
    """A lead moved from one stage to another."""

    lead_id: uuid.UUID
    from_stage_id: uuid.UUID
    to_stage_id: uuid.UUID
    moved_by: uuid.UUID
    moved_at: datetime


class LeadWon(CrmEvent):
    """A lead reached a won stage."""

    lead_id: uuid.UUID
    stage_id: uuid.UUID
    estimated_value: Decimal
    reason: str | None
    closed_by: uuid.UUID
    closed_at: datetime


class LeadLost(LeadWon):
    """A lead reached a lost stage."""
