"""Queries over leads and their history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mosaico_shared.repository import KeysetPage, RepositoryBase
from mosaico_shared.search import folded_contains, searchable_text
from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from mosaico_crm.access import Actor
from mosaico_crm.models import Lead, Stage, StageMove


@dataclass(frozen=True, slots=True)
class LeadFilters:
    stage_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    status: str | None = None
    tag: str | None = None
    text: str | None = None


class LeadRepository(RepositoryBase[Lead]):
    model = Lead
    soft_delete_column = "deleted_at"

    def visible_statement(self, actor: Actor) -> Select[Lead]:
        """Live leads the actor may see: all of them, or the ones they own."""
        statement = self.base_statement()
        if not actor.sees_all_leads:
            statement = statement.where(Lead.owner_id == actor.user_id)
        return statement

    async def visible(
        self, actor: Actor, lead_id: uuid.UUID, *, for_update: bool = False
    ) -> Lead | None:
        """One live lead the actor may see, row-locked when asked."""
        return await self.get_by_id(
            lead_id, for_update=for_update, statement=self.visible_statement(actor)
        )

    async def page(
        self,
        actor: Actor,
        *,
        columns: Sequence[str],
        filters: LeadFilters,
        limit: int,
        cursor: str | None,
    ) -> KeysetPage[dict[str, Any]]:
        """One page of ``columns`` in ``(created_at, id)`` order, after the cursor's lead:
        plain rows, since a page is only read and answered."""
        leads = self.table().c
        statement = self.rows_statement(columns)
        if not actor.sees_all_leads:
            statement = statement.where(leads.owner_id == actor.user_id)
        if filters.stage_id is not None:
            statement = statement.where(leads.stage_id == filters.stage_id)
        if filters.owner_id is not None:
            statement = statement.where(leads.owner_id == filters.owner_id)
        if filters.status is not None:
            statement = statement.where(leads.status == filters.status)
        if filters.tag is not None:
            statement = statement.where(leads.tags.contains([filters.tag]))
        if filters.text:
            # The indexed expression of migration 0002, so ix_leads_search serves it.
            document = searchable_text(leads.name, leads.company, leads.email)
            statement = statement.where(folded_contains(document, filters.text))
        return await self.keyset_rows(
            statement, keys=(leads.created_at, leads.id), limit=limit, cursor=cursor
        )

    def add(self, lead: Lead) -> None:
        """Stage a new lead (written at the next flush)."""
        self.session.add(lead)

    def add_move(self, move: StageMove) -> None:
        """Stage one step of a lead's history."""
        self.session.add(move)

    async def history(self, lead_id: uuid.UUID) -> list[tuple[StageMove, str | None, str]]:
        """Every move of the lead, oldest first, with the stages' names."""
        from_stage, to_stage = aliased(Stage), aliased(Stage)
        rows = await self.session.execute(
            select(StageMove, from_stage.name, to_stage.name)
            .outerjoin(from_stage, StageMove.from_stage_id == from_stage.id)
            .join(to_stage, StageMove.to_stage_id == to_stage.id)
            .where(StageMove.lead_id == lead_id)
            .order_by(StageMove.seq)
        )
        return [(move, from_name, to_name) for move, from_name, to_name in rows]
