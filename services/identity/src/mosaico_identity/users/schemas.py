"""User bodies."""

from __future__ import annotations

import uuid
from datetime import datetime

from mosaico_shared.brazil import CPF, PhoneBR
from mosaico_shared.contracts.roles import USER, Role
from pydantic import BaseModel, ConfigDict, EmailStr, Field

Password = Field(min_length=8, max_length=128, description="8 to 128 characters")


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "full_name": "João Silva",
                    "cpf": "529.982.247-25",
                    "email": "joao@acme.com.br",
                    "whatsapp": "+55 11 98765-4321",
                    "password": "s3nha-forte",
                    "roles": ["user"],
                }
            ]
        },
    )

    full_name: str = Field(min_length=1, max_length=100)
    cpf: CPF
    email: EmailStr
    whatsapp: PhoneBR | None = None
    password: str = Password
    roles: list[Role] = Field(default_factory=lambda: list[Role]([USER]), max_length=3)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, min_length=1, max_length=100)
    whatsapp: PhoneBR | None = None
    roles: list[Role] | None = Field(default=None, max_length=3)
    active: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    cpf: str
    email: str
    whatsapp: str | None
    roles: list[str]
    active: bool
    created_at: datetime


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Password


class UserPage(BaseModel):
    items: list[UserOut]
    limit: int
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last page"
    )
