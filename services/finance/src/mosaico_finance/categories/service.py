"""Income and expense categories of a tenant: defaults, additions, archiving."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_finance.categories.repository import CategoryRepository
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
    await CategoryRepository(session).add_missing(
        (kind, name) for kind, names in DEFAULT_CATEGORIES.items() for name in names
    )


async def list_categories(
    session: AsyncSession, *, type: str | None = None, include_archived: bool = False
) -> list[Category]:
    """Categories by type and name; archived ones only when asked for."""
    return await CategoryRepository(session).listed(type=type, include_archived=include_archived)


async def add_category(session: AsyncSession, *, name: str, type: str) -> Category:
    """A new category; names are unique within a type."""
    categories = CategoryRepository(session)
    if await categories.named(type, name) is not None:
        raise Conflict(f"There is already a {type} category named {name!r}.")
    category = Category(name=name, type=type)
    categories.add(category)
    await session.flush()
    await session.refresh(category)
    return category


async def archive_category(session: AsyncSession, category_id: uuid.UUID) -> Category:
    """Archive a category: its transactions stay, new ones cannot use it."""
    category = await CategoryRepository(session).get_by_id(category_id, for_update=True)
    if category is None:
        raise NotFound("No such category in this tenant.")
    if category.archived_at is None:
        category.archived_at = datetime.now(UTC)
        await session.flush()
    return category


async def category_for_transaction(
    session: AsyncSession, category_id: uuid.UUID, type: str, *, archived_ok: bool = False
) -> Category:
    """The category a transaction of ``type`` may be filed under: ``InvalidInput`` when
    there is none or it is of the other type, ``Conflict`` when it is archived."""
    category = await CategoryRepository(session).get_by_id(category_id)
    if category is None:
        raise InvalidInput("category_id: no such category in this tenant.")
    if category.type != type:
        raise InvalidInput(
            f"category_id: {category.name!r} is an {category.type} category, "
            f"the transaction is an {type}."
        )
    if category.archived_at is not None and not archived_ok:
        raise Conflict(f"category_id: {category.name!r} is archived.")
    return category
