"""The ids of events already applied, claimed in the transaction of their effect."""

from __future__ import annotations

import uuid

from mosaico_shared.repository import RepositoryBase
from sqlalchemy.dialects.postgresql import insert

from mosaico_finance.models import ProcessedEvent


class ProcessedEventRepository(RepositoryBase[ProcessedEvent]):
    model = ProcessedEvent

    async def claim(self, event_id: str) -> bool:
        """Record ``event_id`` as processed; False when it already was (a redelivery)."""
        claimed = await self.session.scalar(
            insert(ProcessedEvent)
            .values(event_id=event_id)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
            .returning(ProcessedEvent.event_id)
        )
        return claimed is not None

    async def link(self, event_id: str, transaction_id: uuid.UUID) -> None:
        """Note which transaction the event produced."""
        processed = await self.session.get(ProcessedEvent, event_id)
        assert processed is not None  # claimed in this transaction
        processed.transaction_id = transaction_id
