"""Moving leads through the pipeline: history, closing as won or lost, events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from mosaico_shared.problems import Conflict
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.access import Actor
from mosaico_crm.events import LeadLost, LeadStageChanged, LeadWon, record_lead_event
from mosaico_crm.leads import repository
from mosaico_crm.leads.schemas import StageMoveOut
from mosaico_crm.leads.service import get_lead
from mosaico_crm.models import Lead, Stage, StageMove
from mosaico_crm.pipeline import service as pipeline


async def move_lead_to_stage(
    session: AsyncSession,
    *,
    actor: Actor,
    lead_id: uuid.UUID,
    stage_id: uuid.UUID,
    reason: str | None,
) -> Lead:
    """Move a lead; a won/lost stage closes it, an open stage (re)opens it."""
    lead = await get_lead(session, actor=actor, lead_id=lead_id, for_update=True)
    stage = await pipeline.stage_to_enter(session, stage_id)
    if stage.id == lead.stage_id:
        raise Conflict(f"The lead is already in {stage.name!r}.")
    return await _enter_stage(session, actor=actor, lead=lead, stage=stage, reason=reason)


async def close_lead(
    session: AsyncSession,
    *,
    actor: Actor,
    lead_id: uuid.UUID,
    outcome: Literal["won", "lost"],
    reason: str,
) -> Lead:
    """Move a lead to the pipeline's won (or lost) stage with the reason why."""
    lead = await get_lead(session, actor=actor, lead_id=lead_id, for_update=True)
    if lead.status == outcome:
        raise Conflict(f"The lead is already {outcome}.")
    stage = await pipeline.first_stage_of_kind(session, outcome)
    stage = await pipeline.stage_to_enter(session, stage.id)
    return await _enter_stage(session, actor=actor, lead=lead, stage=stage, reason=reason)


async def _enter_stage(
    session: AsyncSession, *, actor: Actor, lead: Lead, stage: Stage, reason: str | None
) -> Lead:
    now = datetime.now(UTC)
    from_stage_id = lead.stage_id
    lead.stage_id = stage.id
    lead.updated_at = now
    session.add(
        StageMove(
            lead_id=lead.id,
            from_stage_id=from_stage_id,
            to_stage_id=stage.id,
            moved_by=actor.user_id,
            moved_at=now,
            reason=reason,
        )
    )
    record_lead_event(
        session,
        tenant=actor.tenant,
        event=LeadStageChanged(
            lead_id=lead.id,
            from_stage_id=from_stage_id,
            to_stage_id=stage.id,
            moved_by=actor.user_id,
            moved_at=now,
        ),
    )
    if stage.kind == "open":
        lead.status, lead.closed_at, lead.close_reason = "open", None, None
    else:
        lead.status, lead.closed_at, lead.close_reason = stage.kind, now, reason
        closed = LeadWon if stage.kind == "won" else LeadLost
        record_lead_event(
            session,
            tenant=actor.tenant,
            event=closed(
                lead_id=lead.id,
                stage_id=stage.id,
                estimated_value=lead.estimated_value,
                reason=reason,
                closed_by=actor.user_id,
                closed_at=now,
            ),
        )
    await session.flush()
    return lead


async def lead_history(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID
) -> list[StageMoveOut]:
    """Who moved the lead, when, from where to where, oldest first."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    return [
        StageMoveOut(
            id=move.id,
            from_stage_id=move.from_stage_id,
            from_stage_name=from_name,
            to_stage_id=move.to_stage_id,
            to_stage_name=to_name,
            moved_by=move.moved_by,
            moved_at=move.moved_at,
            reason=move.reason,
        )
        for move, from_name, to_name in await repository.lead_history(session, lead_id)
    ]
