"""Password-reset bodies."""

from __future__ import annotations

from mosaico_shared.tenancy.names import TENANT_SLUG_PATTERN
from pydantic import BaseModel, ConfigDict, Field

from mosaico_identity.users.schemas import Password


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"tenant": "acme", "login": "joao@acme.com.br"}]},
    )

    tenant: str = Field(pattern=TENANT_SLUG_PATTERN, description="The tenant's slug")
    login: str = Field(min_length=3, max_length=254, description="CPF or e-mail")


class PasswordResetAccepted(BaseModel):
    """The same answer whether or not anyone has the login."""

    detail: str = Field(
        examples=["If the login belongs to an active user, a reset link is on its way."]
    )


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200, description="From the e-mail's link")
    new_password: str = Password
