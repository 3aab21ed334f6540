"""Service settings: environment (``MOSAICO_*``) -> one settings object per service."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class ServiceSettings(BaseSettings):
    """Settings every module has; a service subclasses it and sets ``module``."""

    model_config = SettingsConfigDict(env_prefix="MOSAICO_", extra="ignore")

    module: ClassVar[str] = ""

    #: The module's PostgreSQL server; tenant databases are picked on it by name.
    database_url: str = "postgresql+psycopg://mosaico@localhost:5432/postgres"
    identity_url: str = "http://identity:8000"
    jwt_issuer: str = "mosaico-identity"
    jwt_audience: str = "mosaico"
    #: Credential for ``/<module>/internal/...``; shared by the operator and the services.
    internal_token: SecretStr
    max_body_bytes: int = 1_048_576
    #: Open tenant engines per pod; the least recently used one is disposed past this.
    tenant_engines: int = 64
    tenant_pool_size: int = 2
    tenant_pool_overflow: int = 3
    tenant_status_ttl_seconds: float = 5.0
    jwks_ttl_seconds: float = 300.0
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, value: str) -> str:
        url = make_url(value)
        if url.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)

    @field_validator("internal_token")
    @classmethod
    def _refuse_weak_internal_token(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("MOSAICO_INTERNAL_TOKEN must be at least 16 characters")
        return value

    @property
    def prefix(self) -> str:
        """URL prefix of the module: the same behind the Ingress, in a pod and locally."""
        return f"/{self.module}"

    @property
    def jwks_url(self) -> str:
        """Where identity publishes its public signing keys."""
        return f"{self.identity_url.rstrip('/')}/identity/.well-known/jwks.json"
