"""The operator's settings (``MOSAICO_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OperatorSettings(BaseSettings):
    """Everything the operator reads from its environment, read once at start."""

    model_config = SettingsConfigDict(env_prefix="MOSAICO_", extra="ignore")

    identity_url: str = "http://identity.mosaico.svc:8000"
    #: The credential for ``/<module>/internal/...``, shared with the services.
    internal_token: SecretStr
    #: Where first-admin invite tokens are stored as Secrets (never logged).
    operator_namespace: str = "mosaico"
    #: ``pg_dump`` files of databases dropped under ``deletionPolicy: Delete``.
    backup_dir: Path = Path("/var/lib/mosaico/backups")
    pg_dump: str = "pg_dump"
    #: How often the drift timer checks every tenant (databases, identity, modules).
    drift_interval_seconds: float = 60.0
    #: First retry delay after a dependency failed; doubles up to the maximum.
    retry_delay_seconds: float = 5.0
    retry_max_delay_seconds: float = 300.0
    #: Attempts at deleting a tenant before it is released with a warning Event.
    delete_attempts: int = 5
    #: Tenants reconciled (or deleted) at once; the others wait their turn.
    workers: int = 32
    #: Admin connections at once per PostgreSQL server (CREATE/DROP DATABASE, checks).
    database_connections: int = 8
    #: Onboardings at once per module service (see ModuleOnboarding for why 1).
    onboarding_concurrency: int = 1
    module_timeout_seconds: float = 120.0
    metrics_port: int = 9090
    #: Liveness probe served by Kopf at ``http://<host>:<port>/healthz``.
    health_port: int = 8080
    health_host: str = "0.0.0.0"  # noqa: S104 - a probe port inside the pod
    #: Kopf peering for HA (several replicas, one active); empty for standalone.
    peering: str = "mosaico-operator"
    #: Kopf pauses every replica that sees a peer of higher *or equal* priority, so
    #: replicas must differ. Unset, it is the start time in microseconds: the newest
    #: replica acts (a rolling update hands over to the new version) and the others wait.
    peering_priority: int | None = None
    #: Seconds after which a silent peer (killed, partitioned) counts as gone and a
    #: waiting replica takes over.
    peering_lifetime_seconds: int = 60
    log_level: str = "INFO"

    @field_validator("internal_token")
    @classmethod
    def _refuse_weak_internal_token(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("MOSAICO_INTERNAL_TOKEN must be at least 16 characters")
        return value
