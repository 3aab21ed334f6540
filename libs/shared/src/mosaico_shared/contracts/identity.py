"""Events identity emits (``mosaico.<tenant>.identity.<event>``); notifications turns
them into e-mail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import EmailStr

from mosaico_shared.contracts.events import EventPayload, Sealed


class IdentityEvent(EventPayload):
    module: ClassVar[str] = "identity"


class UserInvited(IdentityEvent):
    """Someone was invited to join the tenant (the first admin too, when the operator
    gave no password). ``sealed_token``, opened with the event sealing keys
    (``mosaico_shared.events.sealing``), is the invite token for the e-mail's link.
    Version 2: the token travels sealed (version 1 carried it in the clear)."""

    schema_version: ClassVar[int] = 2

    invite_id: uuid.UUID
    email: EmailStr
    full_name: str | None
    roles: list[str]
    invited_by: uuid.UUID | None
    expires_at: datetime
    sealed_token: Sealed


class InviteAccepted(IdentityEvent):
    """An invite was used: the user now exists."""

    invite_id: uuid.UUID
    user_id: uuid.UUID
    email: EmailStr


class PasswordChanged(IdentityEvent):
    """A user's password changed (so the owner of the address hears of it)."""

    user_id: uuid.UUID
    email: EmailStr
    full_name: str
    changed_at: datetime


class PasswordResetRequested(IdentityEvent):
    """A user asked to reset a forgotten password. ``sealed_token``, opened with the
    event sealing keys (``mosaico_shared.events.sealing``), is the reset token for the
    e-mail's link; it works once, until ``expires_at``. Version 2: the token travels
    sealed."""

    schema_version: ClassVar[int] = 2

    user_id: uuid.UUID
    email: EmailStr
    full_name: str
    expires_at: datetime
    sealed_token: Sealed
