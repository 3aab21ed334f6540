"""Who may send messages and read the delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_notifications.roles import MESSAGES_READ, MESSAGES_SEND

MessageSender = Annotated[Principal, Depends(RequirePermission(MESSAGES_SEND))]
MessageReader = Annotated[Principal, Depends(RequirePermission(MESSAGES_READ))]
