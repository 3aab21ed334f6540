"""Provider settings: the tenant's SMTP server and webhook endpoint. Secrets go in and
never come out: reads say only whether one is set."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from mosaico_shared.schemas import RequestBody
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    SecretStr,
    StringConstraints,
    UrlConstraints,
)

from mosaico_notifications.settings import SmtpSecurity

HOST_PATTERN = r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
WEBHOOK_SECRET_PREFIX = "whsec_"

Host = Annotated[
    str, StringConstraints(pattern=HOST_PATTERN), Field(examples=["smtp.exemplo.com.br"])
]
Username = Annotated[str, StringConstraints(min_length=1, max_length=255)]
FromName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
WebhookUrl = Annotated[HttpUrl, UrlConstraints(max_length=2000, allowed_schemes=["http", "https"])]


def _whsec(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value()
    if not secret.startswith(WEBHOOK_SECRET_PREFIX):
        raise ValueError(f"a signing secret starts with {WEBHOOK_SECRET_PREFIX!r}")
    try:
        key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"a signing secret is {WEBHOOK_SECRET_PREFIX!r} and base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError("a signing secret holds 24 to 64 bytes (before base64)")
    return value


WebhookSecret = Annotated[SecretStr, Field(max_length=200), AfterValidator(_whsec)]


class EmailProviderUpdate(RequestBody):
    """The tenant's own SMTP server. ``password`` left out keeps the stored one, ``null``
    clears it; it is never returned."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "host": "smtp.paoquente.com.br",
                    "port": 587,
                    "security": "starttls",
                    "username": "avisos@paoquente.com.br",
                    "password": "senha-do-smtp",
                    "from_address": "avisos@paoquente.com.br",
                    "from_name": "Padaria Pão Quente",
                }
            ]
        },
    )

    host: Host
    port: int = Field(default=587, ge=1, le=65535)
    security: SmtpSecurity = "starttls"
    username: Username | None = None
    password: Annotated[SecretStr, Field(min_length=1, max_length=1000)] | None = None
    from_address: EmailStr
    from_name: FromName | None = None


class WebhookProviderUpdate(RequestBody):
    """Where the tenant's webhook deliveries go, and the Standard Webhooks secret they
    are signed with (``whsec_`` and base64 of 24 to 64 random bytes). ``secret`` is
    needed the first time; left out later, the stored one stays. It is never returned."""

    not_nullable = ("secret",)
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://whatsapp.exemplo.com.br/mosaico",
                    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                }
            ]
        },
    )

    url: WebhookUrl
    secret: WebhookSecret | None = None


class EmailProviderOut(BaseModel):
    """The tenant's SMTP server; ``configured: false`` means the platform's is used."""

    configured: bool
    host: str | None = None
    port: int | None = None
    security: Literal["none", "starttls", "tls"] | None = None
    username: str | None = None
    password_set: bool = False
    from_address: str | None = None
    from_name: str | None = None
    updated_at: datetime | None = None


class WebhookProviderOut(BaseModel):
    """The tenant's webhook endpoint; without one, nothing goes out over webhooks."""

    configured: bool
    url: str | None = None
    secret_set: bool = False
    updated_at: datetime | None = None


class ProvidersOut(BaseModel):
    email: EmailProviderOut
    webhook: WebhookProviderOut
