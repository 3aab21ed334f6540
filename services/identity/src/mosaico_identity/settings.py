"""Identity's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from mosaico_shared.settings import ServiceSettings
from pydantic import SecretStr, field_validator


class IdentitySettings(ServiceSettings):
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
    #: Failed logins in a row before the account is locked for ``lockout_seconds``.
    max_failed_logins: int = 5
    lockout_seconds: int = 300
    tenant_status_ttl_seconds: float = 1.0

    @field_validator("signing_key_passphrase")
    @classmethod
    def _refuse_weak_passphrase(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("MOSAICO_SIGNING_KEY_PASSPHRASE must be at least 16 characters")
        return value
