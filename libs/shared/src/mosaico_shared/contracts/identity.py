"""Events identity emits (``mosaico.<tenant>.identity.<event>``); notifications turns
them into e-mail."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import EmailStr

from mosaico_shared.contracts.events import EventPayload, SecretText


class IdentityEvent(EventPayload):
    module: ClassVar[str] = "identity"


class UserInvited(IdentityEvent):
    """Someone was invited to join the tenant (the first admin too, when the operator
    gave no password). ``token`` goes into the e-mail's link; it is shown once, here."""

    invite_id: uuid.UUID
    email: EmailStr
    full_name: str | None
    roles: list[str]
    invited_by: uuid.UUID | None
    expires_at: datetime
    token: SecretText


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
    """A user asked to reset a forgotten password; ``token`` goes into the e-mail."""

    user_id: uuid.UUID
    email: EmailStr
    full_name: str
    expires_at: datetime
    token: SecretText
