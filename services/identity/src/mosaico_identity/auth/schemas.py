"""Login, refresh and logout bodies."""

from __future__ import annotations

from mosaico_shared.tenancy.names import TENANT_SLUG_PATTERN
from pydantic import BaseModel, ConfigDict, Field


class LoginRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"tenant": "acme", "login": "529.982.247-25", "password": "s3nha-forte"}]
        },
    )

    tenant: str = Field(pattern=TENANT_SLUG_PATTERN, description="The tenant's slug")
    login: str = Field(min_length=3, max_length=254, description="CPF or e-mail")
    password: str = Field(min_length=1, max_length=128)


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=10, max_length=200)


class TokenPair(BaseModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    refresh_token: str
