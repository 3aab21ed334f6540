"""Leads: creation into the pipeline, reading, updating, soft deletion, and moving
through the pipeline (history, closing as won or lost, events)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from mosaico_shared.problems import Conflict, Forbidden, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.access import Actor
from mosaico_crm.events import (
    LeadCreated,
    LeadLost,
    LeadStageChanged,
    LeadWon,
    record_lead_event,
)
from mosaico_crm.leads.repository import LeadFilters, LeadRepository
from mosaico_crm.leads.schemas import LeadCreate, LeadOut, LeadUpdate, StageMoveOut
from mosaico_crm.models import Lead, Stage, StageMove
from mosaico_crm.pipeline import service as pipeline


def _document_kind(document: str | None) -> str | None:
    if document is None:
        return None
    return "cpf" if len(document) == 11 else "cnpj"


def ensure_may_assign(actor: Actor, owner_id: uuid.UUID) -> None:
    """Users own what they create; only managers and admins give leads to others."""
    if owner_id != actor.user_id and not actor.sees_all_leads:
        raise Forbidden("Only managers and admins assign leads to other users.")


async def create_lead(session: AsyncSession, *, actor: Actor, body: LeadCreate) -> Lead:
    """Add a lead to an open stage (the first by default); its history starts here."""
    owner_id = body.owner_id or actor.user_id
    ensure_may_assign(actor, owner_id)
    if body.stage_id is None:
        stage = await pipeline.first_stage_of_kind(session, "open")
        stage = await pipeline.stage_to_enter(session, stage.id)
    else:
        stage = await pipeline.stage_to_enter(session, body.stage_id)
    if stage.kind != "open":
        raise InvalidInput(f"stage_id: a new lead starts in an open stage, not {stage.name!r}.")
    lead = Lead(
        **body.model_dump(exclude={"owner_id", "stage_id", "email"}),
        email=str(body.email) if body.email else None,
        document_kind=_document_kind(body.document),
        owner_id=owner_id,
        created_by=actor.user_id,
        stage_id=stage.id,
        status="open",
    )
    leads = LeadRepository(session)
    leads.add(lead)
    await session.flush()
    leads.add_move(
        StageMove(
            lead_id=lead.id,
            from_stage_id=None,
            to_stage_id=stage.id,
            moved_by=actor.user_id,
            moved_at=lead.created_at,
        )
    )
    record_lead_event(
        session,
        tenant=actor.tenant,
        event=LeadCreated(
            lead_id=lead.id,
            name=lead.name,
            stage_id=stage.id,
            owner_id=owner_id,
            estimated_value=lead.estimated_value,
            created_by=actor.user_id,
        ),
    )
    await session.flush()
    return lead


async def get_lead(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID, for_update: bool = False
) -> Lead:
    """A live lead the actor may see; 404 otherwise (never telling which)."""
    lead = await LeadRepository(session).visible(actor, lead_id, for_update=for_update)
    if lead is None:
        raise NotFound(f"No lead {lead_id}.")
    return lead


async def list_leads(
    session: AsyncSession,
    *,
    actor: Actor,
    filters: LeadFilters,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of leads (each the fields of ``LeadOut``) and the cursor of the next one
    (None on the last page)."""
    page = await LeadRepository(session).page(
        actor, columns=LEAD_OUT_COLUMNS, filters=filters, limit=limit, cursor=cursor
    )
    return page.items, page.next_cursor


#: What a lead in a list shows: ``LeadOut``'s fields, every one a column of ``leads``.
LEAD_OUT_COLUMNS = tuple(LeadOut.model_fields)


async def update_lead(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID, body: LeadUpdate
) -> Lead:
    """Change the fields sent; the stage changes only through moves."""
    lead = await get_lead(session, actor=actor, lead_id=lead_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    if "owner_id" in changes:
        ensure_may_assign(actor, changes["owner_id"])
    if "email" in changes:
        changes["email"] = str(body.email) if body.email else None
    if "document" in changes:
        changes["document_kind"] = _document_kind(body.document)
    for field, value in changes.items():
        setattr(lead, field, value)
    lead.updated_at = datetime.now(UTC)
    await session.flush()
    return lead


async def delete_lead(session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID) -> None:
    """Soft delete: the lead disappears from every read but stays in the database."""
    lead = await get_lead(session, actor=actor, lead_id=lead_id, for_update=True)
    lead.deleted_at = lead.updated_at = datetime.now(UTC)
    await session.flush()


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
    LeadRepository(session).add_move(
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
        for move, from_name, to_name in await LeadRepository(session).history(lead_id)
    ]
