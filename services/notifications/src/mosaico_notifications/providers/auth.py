"""Who may read and change the tenant's provider settings (admins change them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_notifications.providers.secrets import SecretBox
from mosaico_notifications.roles import SETTINGS_READ, SETTINGS_WRITE

ProviderReader = Annotated[Principal, Depends(RequirePermission(SETTINGS_READ))]
ProviderEditor = Annotated[Principal, Depends(RequirePermission(SETTINGS_WRITE))]


async def _secret_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.provider_secrets
    return box


#: The key provider secrets are sealed with.
ProviderSecrets = Annotated[SecretBox, Depends(_secret_box)]
