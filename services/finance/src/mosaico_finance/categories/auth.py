"""Who may read and manage categories."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_finance.roles import MANAGE_CATEGORIES, READ

CategoriesReader = Annotated[Principal, Depends(RequirePermission(READ))]
CategoriesManager = Annotated[Principal, Depends(RequirePermission(MANAGE_CATEGORIES))]
