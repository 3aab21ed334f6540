"""Who may see and change which events send what (admins change it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_notifications.roles import SETTINGS_READ, SETTINGS_WRITE

SubscriptionReader = Annotated[Principal, Depends(RequirePermission(SETTINGS_READ))]
SubscriptionEditor = Annotated[Principal, Depends(RequirePermission(SETTINGS_WRITE))]
