"""Queries over pipeline stages."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.models import Lead, Stage


async def active_stages(session: AsyncSession) -> list[Stage]:
    """Stages not archived, in pipeline order."""
    rows = await session.scalars(
        select(Stage).where(Stage.archived_at.is_(None)).order_by(Stage.position, Stage.created_at)
    )
    return list(rows)


async def all_stages(session: AsyncSession) -> list[Stage]:
    """Active stages in pipeline order, then archived ones."""
    rows = await session.scalars(
        select(Stage).order_by(Stage.archived_at.is_not(None), Stage.position, Stage.created_at)
    )
    return list(rows)


async def stage_by_id(session: AsyncSession, stage_id: uuid.UUID) -> Stage | None:
    return await session.get(Stage, stage_id)


async def active_stage_named(session: AsyncSession, name: str) -> Stage | None:
    return await session.scalar(
        select(Stage).where(Stage.archived_at.is_(None), func.lower(Stage.name) == name.lower())
    )


async def open_leads_in(session: AsyncSession, stage_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Lead)
        .where(Lead.stage_id == stage_id, Lead.status == "open", Lead.deleted_at.is_(None))
    )
    return count or 0


async def first_active_stage_of_kind(session: AsyncSession, kind: str) -> Stage | None:
    return await session.scalar(
        select(Stage)
        .where(Stage.archived_at.is_(None), Stage.kind == kind)
        .order_by(Stage.position, Stage.created_at)
        .limit(1)
    )
