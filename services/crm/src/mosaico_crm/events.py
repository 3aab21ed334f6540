"""Events the CRM emits, written to the outbox in the transaction of the change.

The contracts live in ``mosaico_shared.contracts.crm`` (consumers read the same
models); the relay publishes each row to NATS JetStream under its subject
(``mosaico.<tenant>.crm.<event_snake>``) right after the commit.
"""

from __future__ import annotations

from mosaico_shared.contracts.crm import LeadCreated, LeadLost, LeadStageChanged, LeadWon
from mosaico_shared.outbox import record_event
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.models import OutboxEvent

__all__ = [
    "CrmEvent",
    "LeadCreated",
    "LeadLost",
    "LeadStageChanged",
    "LeadWon",
    "record_lead_event",
]

CrmEvent = LeadCreated | LeadStageChanged | LeadWon | LeadLost


def record_lead_event(session: AsyncSession, *, tenant: str, event: CrmEvent) -> OutboxEvent:
    """Add ``event`` to the CRM's outbox; it commits or rolls back with the change."""
    return record_event(session, OutboxEvent, tenant=tenant, module="crm", event=event)
