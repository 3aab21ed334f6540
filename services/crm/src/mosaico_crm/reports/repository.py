"""Aggregate queries behind the reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import func, select

from mosaico_crm.models import Lead, StageMove


class PipelineReportRepository(RepositoryBase[Lead]):
    """Aggregates over live leads and their moves."""

    model = Lead
    soft_delete_column = "deleted_at"

    async def totals_by_stage(
        self, *, since: datetime, until: datetime
    ) -> dict[uuid.UUID, tuple[int, Decimal]]:
        """Live leads created in ``[since, until)``: stage -> (count, exact sum)."""
        rows = await self.session.execute(
            select(Lead.stage_id, func.count(), func.coalesce(func.sum(Lead.estimated_value), 0))
            .where(Lead.deleted_at.is_(None), Lead.created_at >= since, Lead.created_at < until)
            .group_by(Lead.stage_id)
        )
        return {stage_id: (count, Decimal(total)) for stage_id, count, total in rows}

    async def first_entries(
        self, *, since: datetime, until: datetime
    ) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
        """(lead, stage, order of its first entry) for every stage a live lead entered
        in the period, creation included."""
        rows = await self.session.execute(
            select(StageMove.lead_id, StageMove.to_stage_id, func.min(StageMove.seq))
            .join(Lead, Lead.id == StageMove.lead_id)
            .where(
                Lead.deleted_at.is_(None), StageMove.moved_at >= since, StageMove.moved_at < until
            )
            .group_by(StageMove.lead_id, StageMove.to_stage_id)
        )
        return [(lead_id, stage_id, seq) for lead_id, stage_id, seq in rows]
