"""The operator's settings (``MOSAICO_*`` environment variables)."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mosaico_operator.service_urls import is_in_cluster


class OperatorSettings(BaseSettings):
    """Everything the operator reads from its environment, read once at start."""

    # A value that fails to parse is never echoed in the error: it may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="MOSAICO_", extra="ignore", hide_input_in_errors=True
    )

    #: identity's Service; like every module URL it must be inside the cluster, since
    #: the operator's credential goes there.
    identity_url: str = "http://identity.mosaico.svc:8000"
    #: The operator's own tokens for the services' internal APIs, one file per module
    #: (``identity``, ``crm``...): projected ServiceAccount tokens whose audience names
    #: that module, re-read as the kubelet rotates them.
    caller_tokens_dir: Path = Path("/var/run/secrets/mosaico/callers")
    #: ``host[:port]`` -> ``address[:port]`` to connect to instead, keeping the URL: for
    #: an operator run outside the cluster (port-forwards). Empty in a cluster.
    service_addresses: dict[str, str] = {}
    #: Where first-admin invite tokens are stored as Secrets (never logged).
    operator_namespace: str = "mosaico"
    #: Namespaces whose Secrets the operator watches (and alone may read): where the
    #: Modules' admin DSNs and the first admins' passwords are kept. Empty: the operator's
    #: own namespace. A reference to a Secret elsewhere is refused, not looked up.
    secret_namespaces: list[str] = []
    #: ``pg_dump`` files of databases dropped under ``deletionPolicy: Delete``; the folder
    #: must exist (it is a volume's mount point) and be writable.
    backup_dir: Path = Path("/var/lib/mosaico/backups")
    #: Whether ``backup_dir`` outlives the pod (a PersistentVolumeClaim). Unless it does,
    #: ``deletionPolicy: Delete`` is refused and deleted tenants keep their databases: a
    #: dump in an emptyDir would vanish with the pod, the database with it.
    backup_durable: bool = False
    pg_dump: str = "pg_dump"
    pg_restore: str = "pg_restore"
    #: How often the drift timer checks every tenant (databases, identity, modules).
    drift_interval_seconds: float = 60.0
    #: A drift tick sends identity nothing while what it would send is what identity was
    #: last sent (``status.identity.specHash``); this often it is sent anyway, so a tenant
    #: changed in identity by hand (or left without an active admin) is still put back.
    identity_resync_seconds: float = 3600.0
    #: First retry delay after a dependency failed; doubles up to the maximum.
    retry_delay_seconds: float = 5.0
    retry_max_delay_seconds: float = 300.0
    #: Attempts at deleting a tenant before it is released with a warning Event (its
    #: databases kept). A backup that fails is retried for as long as it takes instead:
    #: nothing is unregistered or dropped before every dump is written and read back.
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
    #: How often the memory freed since is handed back to the kernel (see
    #: :mod:`mosaico_operator.memory`); 0 never.
    heap_trim_interval_seconds: float = 60.0
    log_level: str = "INFO"

    @property
    def watched_secret_namespaces(self) -> list[str]:
        """``secret_namespaces``, the operator's own namespace when none are given."""
        return sorted(set(self.secret_namespaces)) or [self.operator_namespace]

    @field_validator("identity_url")
    @classmethod
    def _identity_in_cluster(cls, value: str) -> str:
        if not is_in_cluster(value):
            raise ValueError(
                "MOSAICO_IDENTITY_URL must be a Service inside the cluster "
                "(http(s)://<name>.<namespace>.svc[.cluster.local][:port])"
            )
        return value

    @field_validator("service_addresses")
    @classmethod
    def _addresses_have_ports(cls, value: dict[str, str]) -> dict[str, str]:
        for key, target in value.items():
            for part in (key, target):
                host, colon, port = part.rpartition(":")
                if not part or (colon and (not host or not port.isdigit())):
                    raise ValueError(f"MOSAICO_SERVICE_ADDRESSES: {part!r} is not host[:port]")
        return value
