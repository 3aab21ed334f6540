"""``/crm/v1/pipeline/summary``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from mosaico_shared.problems import Forbidden, InvalidInput, Unauthorized, problem_responses
from mosaico_shared.schemas import QueryDate
from mosaico_shared.tenancy.session import TenantSession

from mosaico_crm.reports import service
from mosaico_crm.reports.auth import ReportReader
from mosaico_crm.reports.schemas import PipelineSummary

router = APIRouter(prefix="/crm/v1/pipeline", tags=["reports"])


@router.get(
    "/summary",
    response_model=PipelineSummary,
    responses=problem_responses(Unauthorized, Forbidden, InvalidInput),
)
async def pipeline_summary(
    actor: ReportReader,
    session: TenantSession,
    from_: Annotated[
        QueryDate | None,
        Query(alias="from", description="First day (UTC), default: 29 days before `to`"),
    ] = None,
    to: Annotated[QueryDate | None, Query(description="Last day (UTC), default: today")] = None,
) -> PipelineSummary:
    """Leads created in the period per stage (count, exact value) and the conversion
    between consecutive stages, from the move history (managers and admins)."""
    end = to or datetime.now(UTC).date()
    start = from_ or end - timedelta(days=29)
    return await service.pipeline_summary(session, start=start, end=end)
