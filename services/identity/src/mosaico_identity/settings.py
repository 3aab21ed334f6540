"""Identity's settings (``MOSAICO_*``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from mosaico_shared.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    module: ClassVar[str] = "identity"

    platform_database: str = "identity_platform"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    invite_ttl_days: int = 7
    signing_algorithm: Literal["EdDSA", "RS256"] = "EdDSA"
    #: Failed logins in a row before the account is locked for ``lockout_seconds``.
    max_failed_logins: int = 5
    lockout_seconds: int = 300
    tenant_status_ttl_seconds: float = 1.0
