"""Income and expense categories of a tenant: defaults, additions, archiving."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.models import Category

DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "income": ("Vendas", "Serviços", "Outras receitas"),
    "expense": (
        "Fornecedores",
        "Folha de pagamento",
        "Impostos",
        "Aluguel",
        "Marketing",
        "Outras despesas",
    ),
}


async def seed_default_categories(session: AsyncSession, tenant: str) -> None:
    """Add the default categories a new tenant starts with; onboarding runs this again
    on every call, so existing (or archived) ones are left as they are."""
    rows = [
        {"id": uuid.uuid4(), "name": name, "type": kind}
        for kind, names in DEFAULT_CATEGORIES.items()
        for name in names
    ]
    await session.execute(
        insert(Category).values(rows).on_conflict_do_nothing(constraint="uq_category_type_name")
    )


async def list_categories(
    session: AsyncSession, *, type: str | None = None, include_archived: bool = False
) -> list[Category]:
    """Categories by type and name; archived ones only when asked for."""
    query = select(Category).order_by(Category.type, Category.name)
    if type is not None:
        query = query.where(Category.type == type)
    if not include_archived:
        query = query.where(Category.archived_at.is_(None))
    return list(await session.scalars(query))


async def add_category(session: AsyncSession, *, name: str, type: str) -> Category:
    """A new category; names are unique within a type."""
    clash = await session.scalar(
        select(Category).where(Category.type == type, Category.name == name)
    )
    if clash is not None:
        raise Conflict(f"There is already a {type} category named {name!r}.")
    category = Category(name=name, type=type)
    session.add(category)
    await session.flush()
    await session.refresh(category)
    return category


async def archive_category(session: AsyncSession, category_id: uuid.UUID) -> Category:
    """Archive a category: its transactions stay, new ones cannot use it."""
    category = await session.get(Category, category_id)
    if category is None:
        raise NotFound("No such category in this tenant.")
    if category.archived_at is None:
        category.archived_at = datetime.now(UTC)
        await session.flush()
    return category


async def category_for_transaction(
    session: AsyncSession, category_id: uuid.UUID, type: str, *, archived_ok: bool = False
) -> Category:
    """The category a transaction of ``type`` may be filed under, or ``InvalidInput``."""
    category = await session.get(Category, category_id)
    if category is None:
        raise InvalidInput("category_id: no such category in this tenant.")
    if category.type != type:
        raise InvalidInput(
            f"category_id: {category.name!r} is an {category.type} category, "
            f"the transaction is an {type}."
        )
    if category.archived_at is not None and not archived_ok:
        raise InvalidInput(f"category_id: {category.name!r} is archived.")
    return category
