"""Who may read and manage bank accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_finance.roles import MANAGE_ACCOUNTS, READ

AccountsReader = Annotated[Principal, Depends(RequirePermission(READ))]
AccountsManager = Annotated[Principal, Depends(RequirePermission(MANAGE_ACCOUNTS))]
