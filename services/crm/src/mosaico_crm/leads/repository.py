"""Queries over leads and their history."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime

from mosaico_shared.problems import InvalidInput
from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mosaico_crm.access import Actor
from mosaico_crm.models import Lead, Stage, StageMove

Cursor = tuple[datetime, uuid.UUID]


@dataclass(frozen=True, slots=True)
class LeadFilters:
    stage_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    status: str | None = None
    tag: str | None = None
    text: str | None = None


def encode_cursor(lead: Lead) -> str:
    """An opaque keyset cursor: the last lead's ``(created_at, id)``."""
    raw = f"{lead.created_at.isoformat()}|{lead.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Cursor:
    """The ``(created_at, id)`` a cursor carries; 422 when it was not made here."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, lead_id = raw.split("|")
        parsed = datetime.fromisoformat(created_at)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed, uuid.UUID(lead_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("cursor: not a cursor this API returned.") from exc


def visible_leads(actor: Actor) -> Select[Lead]:
    """Live leads the actor may see: all of them, or the ones they own."""
    query = select(Lead).where(Lead.deleted_at.is_(None))
    if not actor.sees_all_leads:
        query = query.where(Lead.owner_id == actor.user_id)
    return query


async def visible_lead(
    session: AsyncSession, actor: Actor, lead_id: uuid.UUID, *, for_update: bool = False
) -> Lead | None:
    query = visible_leads(actor).where(Lead.id == lead_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def lead_page(
    session: AsyncSession,
    actor: Actor,
    *,
    filters: LeadFilters,
    limit: int,
    after: Cursor | None,
) -> list[Lead]:
    """One page in ``(created_at, id)`` order, after the cursor's lead."""
    query = visible_leads(actor)
    if filters.stage_id is not None:
        query = query.where(Lead.stage_id == filters.stage_id)
    if filters.owner_id is not None:
        query = query.where(Lead.owner_id == filters.owner_id)
    if filters.status is not None:
        query = query.where(Lead.status == filters.status)
    if filters.tag is not None:
        query = query.where(Lead.tags.contains([filters.tag]))
    if filters.text:
        pattern = f"%{_escape_like(filters.text)}%"
        query = query.where(
            or_(
                Lead.name.ilike(pattern, escape="\\"),
                Lead.company.ilike(pattern, escape="\\"),
                Lead.email.ilike(pattern, escape="\\"),
            )
        )
    if after is not None:
        query = query.where(tuple_(Lead.created_at, Lead.id) > tuple_(*after))
    rows = await session.scalars(query.order_by(Lead.created_at, Lead.id).limit(limit))
    return list(rows)


async def lead_history(
    session: AsyncSession, lead_id: uuid.UUID
) -> list[tuple[StageMove, str | None, str]]:
    """Every move of the lead, oldest first, with the stages' names."""
    from_stage, to_stage = aliased(Stage), aliased(Stage)
    rows = await session.execute(
        select(StageMove, from_stage.name, to_stage.name)
        .outerjoin(from_stage, StageMove.from_stage_id == from_stage.id)
        .join(to_stage, StageMove.to_stage_id == to_stage.id)
        .where(StageMove.lead_id == lead_id)
        .order_by(StageMove.seq)
    )
    return [(move, from_name, to_name) for move, from_name, to_name in rows]
