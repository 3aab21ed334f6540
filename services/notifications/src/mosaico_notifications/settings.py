"""Notifications' settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from fastapi import Depends, Request
from mosaico_shared.events.sealing import SealingSettings
from mosaico_shared.settings import ServiceSettings
from pydantic import Field, SecretStr, field_validator

SmtpSecurity = Literal["none", "starttls", "tls"]


class NotificationsSettings(ServiceSettings, SealingSettings):
    """notifications' settings; ``event_sealing_keys`` open the tokens identity's invite
    and password-reset events carry sealed."""

    module: ClassVar[str] = "notifications"

    #: The platform's own SMTP server: e-mail goes through it unless the tenant set one
    #: of its own. ``none`` speaks plain SMTP (a relay beside the pod, ``make up``'s sink).
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: SmtpSecurity = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    #: The sender of the platform's e-mail (``Name <address>``).
    smtp_from: str = "Mosaico <nao-responda@mosaico.dev>"
    smtp_timeout_seconds: float = Field(default=15.0, gt=0)
    #: Encrypts what tenants store as secrets (their SMTP passwords, their webhook
    #: signing secrets); from a Secret the chart generates once. Unset (development
    #: only): a key of the process's own, so they do not open after a restart.
    provider_secrets_key: SecretStr | None = None
    #: Webhooks (and tenants' SMTP servers) may reach private, loopback and link-local
    #: addresses: only where every such address is trusted (``make up``, tests).
    allow_private_destinations: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Where people open the links of e-mails (accepting an invite, resetting a password).
    app_url: str = "https://app.mosaico.dev"

    #: Attempts per message before it fails for good, and the exponential backoff with
    #: jitter between them (``base * 2^(attempt-1)``, at most ``max``).
    delivery_max_attempts: int = Field(default=6, ge=1, le=50)
    delivery_backoff_base_seconds: float = Field(default=5.0, gt=0)
    delivery_backoff_max_seconds: float = Field(default=900.0, gt=0)
    #: How long a worker holds a message it is sending; past it (the process died),
    #: another worker may take it up again.
    delivery_lease_seconds: float = Field(default=120.0, gt=0)
    #: Tenants whose messages a pod sends at once, and messages it claims (and sends
    #: at once) per tenant: at most their product are in flight.
    delivery_tenant_concurrency: int = Field(default=4, ge=1)
    delivery_batch: int = Field(default=10, ge=1, le=1000)
    #: The pass over every tenant database that picks up what no wake-up announced
    #: (retries another replica scheduled, leases that ran out), a few databases at once.
    delivery_scan_interval_seconds: float = Field(default=10.0, gt=0)
    delivery_scan_concurrency: int = Field(default=4, ge=1)

    #: Size limits of what a request may hand over. A request body may be larger than
    #: other modules' (1 MiB): a template's parts may hold 100,000 characters each, and
    #: JSON may spend up to 12 bytes on one.
    max_body_bytes: int = 4 * 1_048_576
    message_data_max_bytes: int = Field(default=65_536, ge=1)
    rendered_max_chars: int = Field(default=500_000, ge=1)

    @field_validator("provider_secrets_key")
    @classmethod
    def _refuse_short_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("MOSAICO_PROVIDER_SECRETS_KEY needs at least 16 characters")
        return value


async def _current_settings(request: Request) -> NotificationsSettings:
    settings: NotificationsSettings = request.app.state.settings
    return settings


#: The app's settings, for endpoints that pass a limit on to a service.
CurrentSettings = Annotated[NotificationsSettings, Depends(_current_settings)]
