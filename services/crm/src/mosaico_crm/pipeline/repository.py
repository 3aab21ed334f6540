"""Queries over pipeline stages."""

from __future__ import annotations

import uuid

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import func, select, text

from mosaico_crm.models import Lead, Stage


class StageRepository(RepositoryBase[Stage]):
    model = Stage

    async def lock_pipeline(self) -> None:
        """Serialize pipeline edits in this tenant until the transaction ends (they
        renumber positions, which must stay contiguous)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('mosaico.crm.pipeline'))")
        )

    async def count(self) -> int:
        """Stages of every kind, archived ones included."""
        return await self.session.scalar(select(func.count()).select_from(Stage)) or 0

    async def active(self) -> list[Stage]:
        """Stages not archived, in pipeline order."""
        rows = await self.session.scalars(
            select(Stage)
            .where(Stage.archived_at.is_(None))
            .order_by(Stage.position, Stage.created_at)
        )
        return list(rows)

    async def all(self) -> list[Stage]:
        """Active stages in pipeline order, then archived ones."""
        rows = await self.session.scalars(
            select(Stage).order_by(Stage.archived_at.is_not(None), Stage.position, Stage.created_at)
        )
        return list(rows)

    async def share_locked(self, stage_id: uuid.UUID) -> Stage | None:
        """The stage, share-locked: archiving it waits until this transaction ends."""
        return await self.session.scalar(
            select(Stage).where(Stage.id == stage_id).with_for_update(read=True)
        )

    async def active_named(self, name: str) -> Stage | None:
        """The active stage called ``name`` (case-insensitively)."""
        return await self.session.scalar(
            select(Stage).where(Stage.archived_at.is_(None), func.lower(Stage.name) == name.lower())
        )

    async def open_leads_in(self, stage_id: uuid.UUID) -> int:
        """Live open leads in the stage."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(Lead)
            .where(Lead.stage_id == stage_id, Lead.status == "open", Lead.deleted_at.is_(None))
        )
        return count or 0

    async def first_active_of_kind(self, kind: str) -> Stage | None:
        """The first active stage of ``kind`` in pipeline order."""
        return await self.session.scalar(
            select(Stage)
            .where(Stage.archived_at.is_(None), Stage.kind == kind)
            .order_by(Stage.position, Stage.created_at)
            .limit(1)
        )

    def add(self, stage: Stage) -> None:
        """Stage a new pipeline stage (written at the next flush)."""
        self.session.add(stage)
