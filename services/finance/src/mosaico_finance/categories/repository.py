"""Queries on income and expense categories."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from mosaico_shared.repository import RepositoryBase
from sqlalchemy.dialects.postgresql import insert

from mosaico_finance.models import Category


class CategoryRepository(RepositoryBase[Category]):
    model = Category

    async def listed(self, *, type: str | None, include_archived: bool) -> list[Category]:
        """Categories by type and name; archived ones only when asked for."""
        query = self.base_statement().order_by(Category.type, Category.name)
        if type is not None:
            query = query.where(Category.type == type)
        if not include_archived:
            query = query.where(Category.archived_at.is_(None))
        return list(await self.session.scalars(query))

    async def named(self, type: str, name: str) -> Category | None:
        """The category of ``type`` called ``name``, archived or not."""
        return await self.session.scalar(
            self.base_statement().where(Category.type == type, Category.name == name)
        )

    async def add_missing(self, categories: Iterable[tuple[str, str]]) -> None:
        """Insert each ``(type, name)`` that does not exist yet; leave the rest alone."""
        rows = [{"id": uuid.uuid4(), "name": name, "type": kind} for kind, name in categories]
        await self.session.execute(
            insert(Category).values(rows).on_conflict_do_nothing(constraint="uq_category_type_name")
        )

    def add(self, category: Category) -> None:
        """Stage a new category (written at the next flush)."""
        self.session.add(category)
