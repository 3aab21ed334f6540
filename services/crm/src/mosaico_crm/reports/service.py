"""Pipeline reports: what is in each stage, and how leads convert between stages."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from mosaico_shared.money import to_money
from mosaico_shared.problems import InvalidInput
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.models import Stage
from mosaico_crm.pipeline.repository import StageRepository
from mosaico_crm.reports.repository import PipelineReportRepository
from mosaico_crm.reports.schemas import PipelineSummary, StageConversion, StageTotals

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
RATE_PLACES = Decimal("0.0001")


def check_period(start: date, end: date) -> None:
    """Dates within 2000-01-01..2100-12-31 and ``from`` not after ``to`` (else 422)."""
    for name, day in (("from", start), ("to", end)):
        if not EARLIEST <= day <= LATEST:
            raise InvalidInput(f"{name}: {day} is outside {EARLIEST}..{LATEST}.")
    if start > end:
        raise InvalidInput(f"from ({start}) is after to ({end}).")


async def pipeline_summary(session: AsyncSession, *, start: date, end: date) -> PipelineSummary:
    """Count and exact value per stage of the leads created between ``start`` and ``end``
    (inclusive, UTC days), and the conversion between consecutive funnel stages."""
    check_period(start, end)
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    reports = PipelineReportRepository(session)
    pipeline = await StageRepository(session).all()
    totals = await reports.totals_by_stage(since=since, until=until)
    rows = [
        StageTotals(
            stage_id=stage.id,
            name=stage.name,
            kind=stage.kind,  # type: ignore[arg-type, unused-ignore]
            archived=stage.archived_at is not None,
            count=totals.get(stage.id, (0, Decimal(0)))[0],
            value=to_money(totals.get(stage.id, (0, Decimal(0)))[1]),
        )
        for stage in pipeline
        if stage.archived_at is None or stage.id in totals
    ]
    funnel = [s for s in pipeline if s.archived_at is None and s.kind in ("open", "won")]
    entries = await reports.first_entries(since=since, until=until)
    return PipelineSummary(
        from_date=start,
        to_date=end,
        total_count=sum(r.count for r in rows),
        total_value=to_money(sum((r.value for r in rows), Decimal(0))),
        stages=rows,
        conversions=_conversions(funnel, entries),
    )


def _conversions(
    funnel: list[Stage], entries: list[tuple[uuid.UUID, uuid.UUID, int]]
) -> list[StageConversion]:
    index = {stage.id: i for i, stage in enumerate(funnel)}
    by_lead: dict[uuid.UUID, dict[int, int]] = defaultdict(dict)
    for lead_id, stage_id, seq in entries:
        if stage_id in index:
            by_lead[lead_id][index[stage_id]] = seq
    entered = [0] * len(funnel)
    advanced = [0] * len(funnel)
    for reached in by_lead.values():
        for i, seq in reached.items():
            entered[i] += 1
            if any(j > i and later > seq for j, later in reached.items()):
                advanced[i] += 1
    return [
        StageConversion(
            from_stage_id=a.id,
            from_stage_name=a.name,
            to_stage_id=b.id,
            to_stage_name=b.name,
            entered=entered[i],
            advanced=advanced[i],
            rate=(Decimal(advanced[i]) / entered[i]).quantize(RATE_PLACES) if entered[i] else None,
        )
        for i, (a, b) in enumerate(itertools.pairwise(funnel))
    ]
