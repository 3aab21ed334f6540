"""Who may read the reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_finance.roles import READ

ReportsReader = Annotated[Principal, Depends(RequirePermission(READ))]
