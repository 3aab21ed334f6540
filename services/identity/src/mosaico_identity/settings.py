"""Identity's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from mosaico_shared.events.sealing import SealingSettings
from mosaico_shared.settings import ServiceSettings
from pydantic import Field, SecretStr, field_validator


class IdentitySettings(ServiceSettings, SealingSettings):
    """identity's settings; ``event_sealing_keys`` seal the tokens its invite and
    password-reset events carry for notifications."""

    module: ClassVar[str] = "identity"

    platform_database: str = "identity_platform"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    invite_ttl_days: int = 7
    signing_algorithm: Literal["EdDSA", "RS256"] = "EdDSA"
    #: Encrypts the private signing keys kept in ``identity_platform``; unset, they are
    #: stored in the clear (a development database only). Keys stored before it was set
    #: are encrypted at the next start.
    signing_key_passphrase: SecretStr | None = None
    #: Failed logins allowed without delay per login (in each tenant) and per client
    #: address (across tenants). After that, the next attempt waits
    #: ``login_throttle_base_delay_seconds``, doubled with every further failure, up to
    #: ``login_throttle_max_delay_seconds``; a success clears the login's count.
    login_throttle_free_failures: int = Field(default=5, ge=1)
    address_throttle_free_failures: int = Field(default=30, ge=1)
    login_throttle_base_delay_seconds: float = Field(default=1.0, gt=0)
    login_throttle_max_delay_seconds: float = Field(default=900.0, gt=0)
    #: A login or address without failures for this long starts again from zero.
    login_throttle_forget_seconds: float = Field(default=3600.0, gt=0)
    tenant_status_ttl_seconds: float = 1.0
    #: A password-reset link works once, for this long, and only while it is the user's
    #: latest. Requests are throttled like failed logins: this many per login (in each
    #: tenant) are free, then each waits as a failed login would; per client address,
    #: ``address_throttle_free_failures``.
    password_reset_ttl_minutes: int = Field(default=30, ge=1, le=1440)
    password_reset_free_requests: int = Field(default=3, ge=1)

    @field_validator("signing_key_passphrase")
    @classmethod
    def _refuse_weak_passphrase(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("MOSAICO_SIGNING_KEY_PASSPHRASE must be at least 16 characters")
        return value
