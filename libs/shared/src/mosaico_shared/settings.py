"""Service settings: environment (``MOSAICO_*``) -> one settings object per service."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mosaico_shared.events.settings import EventSettings


class ServiceSettings(EventSettings):
    """Settings every module has (the event backbone's among them, ``events/settings.py``);
    a service subclasses it and sets ``module``."""

    # A value that fails to parse is never echoed in the error: it may be a secret.
    model_config = SettingsConfigDict(
        env_prefix="MOSAICO_", extra="ignore", hide_input_in_errors=True
    )

    module: ClassVar[str] = ""

    #: The module's PostgreSQL server; tenant databases are picked on it by name. Secret:
    #: it holds the password, so it prints as ``**********``.
    database_url: SecretStr = SecretStr("postgresql+psycopg://mosaico@localhost:5432/postgres")
    identity_url: str = "http://identity:8000"
    jwt_issuer: str = "mosaico-identity"
    jwt_audience: str = "mosaico"
    #: How callers of ``/<module>/internal/...`` prove who they are: ``kubernetes``
    #: (projected ServiceAccount tokens, checked with the API server's TokenReview) or
    #: ``digests`` (``make up`` and tests: a generated token per caller, of which this
    #: side keeps only the SHA-256).
    internal_auth: Literal["kubernetes", "digests"] = "kubernetes"
    #: kubernetes: ServiceAccount user name -> caller name, e.g.
    #: ``{"system:serviceaccount:mosaico:mosaico-operator": "operator"}``.
    internal_callers: dict[str, str] = {}
    #: digests: caller name -> SHA-256 (hex) of the token that caller sends here.
    internal_caller_digests: dict[str, str] = {}
    #: Seconds a reviewed caller token is trusted before the API server is asked again
    #: (a deleted ServiceAccount is refused within this delay).
    internal_caller_cache_seconds: float = 10.0
    #: This pod's own tokens for other services' internal APIs: one file per service,
    #: named after it (``identity``). Unset: this service calls no internal API.
    caller_tokens_dir: Path | None = None
    #: The API server that reviews caller tokens, and this pod's credential for it.
    kubernetes_api_url: str = "https://kubernetes.default.svc"
    kubernetes_token_file: Path = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
    kubernetes_ca_file: Path | None = Path("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
    max_body_bytes: int = 1_048_576
    #: Open tenant engines per pod; the least recently used idle one is disposed past this.
    tenant_engines: int = Field(default=64, ge=1)
    #: PostgreSQL connections one pod may hold, across every tenant's engine (one
    #: engine takes at most a quarter). Pods x modules x this stays under the server's
    #: ``max_connections`` (100 by default), or under the pooler's limits with one.
    db_connection_budget: int = Field(default=20, ge=1, le=20)
    #: How long a request waits for a connection once the budget is in use, before a
    #: 503 ``database-busy`` with ``Retry-After``.
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    #: The server in ``database_url`` (or ``database_host``) is PgBouncer in
    #: transaction mode (the chart's CloudNativePG Pooler): no prepared statements.
    db_transaction_pooler: bool = False
    #: ``host[:port]`` that replaces the one in ``database_url`` (the Pooler's Service,
    #: while the credentials Secret names the database server itself).
    database_host: str = ""
    tenant_status_ttl_seconds: float = 5.0
    jwks_ttl_seconds: float = 300.0
    #: How often a module checks that identity answers (``mosaico_dependency_up``).
    dependency_probe_seconds: float = 15.0
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("database_url")
    @classmethod
    def _use_psycopg3(cls, value: SecretStr) -> SecretStr:
        try:
            url = make_url(value.get_secret_value())
        except (ArgumentError, ValueError):
            # Not the parser's message: it quotes the URL, password included.
            raise ValueError(
                "MOSAICO_DATABASE_URL is not a database URL "
                "(postgresql+psycopg://user:password@host:port/database)"
            ) from None
        if url.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        return SecretStr(url.render_as_string(hide_password=False))

    @model_validator(mode="after")
    def _on_database_host(self) -> ServiceSettings:
        if self.database_host:
            host, _, port = self.database_host.partition(":")
            if not host or (port and not port.isdigit()):
                raise ValueError("MOSAICO_DATABASE_HOST is host or host:port")
            url = make_url(self.database_url.get_secret_value())
            url = url.set(host=host, port=int(port) if port else url.port)
            self.database_url = SecretStr(url.render_as_string(hide_password=False))
            self.database_host = ""  # applied; validating again must not apply it twice
        return self

    @model_validator(mode="after")
    def _callers_are_named(self) -> ServiceSettings:
        from mosaico_shared.auth.callers import CALLER_NAMES

        names = (
            self.internal_caller_digests.keys()
            if self.internal_auth == "digests"
            else self.internal_callers.values()
        )
        unknown = set(names) - CALLER_NAMES
        if unknown:
            raise ValueError(
                f"unknown internal callers {sorted(unknown)}: use {sorted(CALLER_NAMES)}"
            )
        for name, digest in self.internal_caller_digests.items():
            if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
                raise ValueError(f"the digest of caller {name!r} is not a SHA-256 in hex")
        return self

    @property
    def prefix(self) -> str:
        """URL prefix of the module: the same behind the Ingress, in a pod and locally."""
        return f"/{self.module}"

    @property
    def jwks_url(self) -> str:
        """Where identity publishes its public signing keys."""
        return f"{self.identity_url.rstrip('/')}/identity/.well-known/jwks.json"
