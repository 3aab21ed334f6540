"""Leads: creation into the pipeline, reading, updating, soft deletion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.problems import Forbidden, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.access import Actor
from mosaico_crm.events import LeadCreated, record_lead_event
from mosaico_crm.leads import repository
from mosaico_crm.leads.repository import LeadFilters
from mosaico_crm.leads.schemas import LeadCreate, LeadUpdate
from mosaico_crm.models import Lead, StageMove
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
    session.add(lead)
    await session.flush()
    session.add(
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
    lead = await repository.visible_lead(session, actor, lead_id, for_update=for_update)
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
) -> tuple[list[Lead], str | None]:
    """A page of leads and the cursor of the next one (None on the last page)."""
    after = repository.decode_cursor(cursor) if cursor else None
    leads = await repository.lead_page(
        session, actor, filters=filters, limit=limit + 1, after=after
    )
    if len(leads) > limit:
        leads = leads[:limit]
        return leads, repository.encode_cursor(leads[-1])
    return leads, None


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
