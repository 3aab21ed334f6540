"""``/finance/v1/categories``."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from mosaico_shared.problems import Conflict, Forbidden, NotFound, Unauthorized, problem_responses
from mosaico_shared.schemas import QueryBool
from mosaico_shared.tenancy.session import TenantSession

from mosaico_finance.categories import service
from mosaico_finance.categories.auth import CategoriesManager, CategoriesReader
from mosaico_finance.categories.schemas import CategoryCreate, CategoryOut, TransactionType
from mosaico_finance.models import Category

router = APIRouter(prefix="/finance/v1/categories", tags=["categories"])


def category_out(category: Category) -> CategoryOut:
    return CategoryOut.model_validate(
        {
            "id": category.id,
            "name": category.name,
            "type": category.type,
            "archived": category.archived_at is not None,
            "created_at": category.created_at,
        }
    )


@router.get(
    "", response_model=list[CategoryOut], responses=problem_responses(Unauthorized, Forbidden)
)
async def list_categories(
    principal: CategoriesReader,
    session: TenantSession,
    type: TransactionType | None = None,
    include_archived: Annotated[QueryBool, Query()] = False,
) -> list[CategoryOut]:
    """The tenant's categories (archived ones with ``include_archived=true``)."""
    categories = await service.list_categories(
        session, type=type, include_archived=include_archived
    )
    return [category_out(c) for c in categories]


@router.post(
    "",
    status_code=201,
    response_model=CategoryOut,
    responses=problem_responses(Unauthorized, Forbidden, Conflict),
)
async def add_category(
    body: CategoryCreate, principal: CategoriesManager, session: TenantSession
) -> CategoryOut:
    """Add an income or expense category."""
    return category_out(await service.add_category(session, name=body.name, type=body.type))


@router.post(
    "/{category_id}/archive",
    response_model=CategoryOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound),
)
async def archive_category(
    category_id: uuid.UUID, principal: CategoriesManager, session: TenantSession
) -> CategoryOut:
    """Archive a category; its transactions keep it, new ones cannot use it."""
    return category_out(await service.archive_category(session, category_id))
