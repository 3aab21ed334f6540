"""Who may read and manage the tenant's users."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_identity.roles import USERS_READ, USERS_WRITE

CanReadUsers = Annotated[Principal, Depends(RequirePermission(USERS_READ))]
CanWriteUsers = Annotated[Principal, Depends(RequirePermission(USERS_WRITE))]
