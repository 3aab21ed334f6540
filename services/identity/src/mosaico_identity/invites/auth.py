"""Who may invite people into the tenant."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_identity.roles import INVITES_WRITE

CanInvite = Annotated[Principal, Depends(RequirePermission(INVITES_WRITE))]
