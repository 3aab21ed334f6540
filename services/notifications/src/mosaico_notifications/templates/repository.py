"""Queries over templates."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from mosaico_notifications.models import Template


class TemplateRepository(RepositoryBase[Template]):
    model = Template

    async def all(self) -> list[Template]:
        """Every template, by key."""
        return list(await self.session.scalars(select(Template).order_by(Template.key)))

    async def by_key(self, key: str, *, for_update: bool = False) -> Template | None:
        """The template called ``key``, row-locked when asked."""
        statement = select(Template).where(Template.key == key)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    def add(self, template: Template) -> None:
        """Stage a new template (written at the next flush)."""
        self.session.add(template)

    async def remove(self, key: str) -> None:
        """Delete the template called ``key``."""
        await self.session.execute(delete(Template).where(Template.key == key))

    async def add_missing(self, templates: Iterable[dict[str, Any]]) -> None:
        """Insert each template whose key is not taken; existing ones stay as edited."""
        rows = list(templates)
        if rows:
            await self.session.execute(
                insert(Template).values(rows).on_conflict_do_nothing(index_elements=["key"])
            )
