"""Who may read and edit the tenant's templates."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_notifications.roles import TEMPLATES_READ, TEMPLATES_WRITE

TemplateReader = Annotated[Principal, Depends(RequirePermission(TEMPLATES_READ))]
TemplateEditor = Annotated[Principal, Depends(RequirePermission(TEMPLATES_WRITE))]
