"""Invite bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from mosaico_shared.brazil import CPF, PhoneBR
from mosaico_shared.contracts.roles import USER, Role
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from mosaico_identity.users.schemas import Password


class InviteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr = Field(examples=["ana@acme.com.br"])
    full_name: str | None = Field(default=None, max_length=100)
    roles: list[Role] = Field(default_factory=lambda: list[Role]([USER]), max_length=3)


class InviteIssued(BaseModel):
    id: uuid.UUID
    email: str
    roles: list[str]
    expires_at: datetime
    token: str = Field(description="Shown once; the invitee presents it to accept")


class InviteAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)
    full_name: str = Field(min_length=1, max_length=100)
    cpf: CPF
    whatsapp: PhoneBR | None = None
    password: str = Password
