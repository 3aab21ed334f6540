"""The identity service: ``uvicorn mosaico_identity.main:app`` (or ``create_app``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from mosaico_shared.app import create_service_app, database_server_ready
from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.migrations import upgrade_database
from mosaico_shared.onboarding import onboarding_router
from mosaico_shared.tenancy.engines import TenantDatabases, replace_closed_connections
from mosaico_shared.tenancy.status import CachedTenantStatus
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from mosaico_identity.auth import endpoints as auth_endpoints
from mosaico_identity.invites import endpoints as invite_endpoints
from mosaico_identity.keys import endpoints as key_endpoints
from mosaico_identity.keys.service import SigningKeys
from mosaico_identity.models.tenant import OutboxEvent
from mosaico_identity.password_resets import endpoints as password_reset_endpoints
from mosaico_identity.registry import endpoints as registry_endpoints
from mosaico_identity.registry.service import TokenCutoffs
from mosaico_identity.registry.status import platform_registry
from mosaico_identity.roles import ROLE_PERMISSIONS
from mosaico_identity.settings import IdentitySettings
from mosaico_identity.users import endpoints as user_endpoints

MIGRATIONS = Path(__file__).parent / "migrations"
PLATFORM_MIGRATIONS = MIGRATIONS / "platform"
TENANT_MIGRATIONS = MIGRATIONS / "tenant"


async def ensure_platform_database(server_url: str, name: str) -> None:
    """Create ``identity_platform`` when it is missing and the role may (CREATEDB);
    otherwise say plainly what to create. Tenant databases are the operator's job."""
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if exists:
                return
            try:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
                # Only identity's role (its owner) may open the registry and the keys.
                await connection.execute(
                    text(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{name}" FROM PUBLIC')
                )
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == "42P04":  # another replica won
                    return
                raise RuntimeError(
                    f"database {name} does not exist and this role cannot create it: "
                    f"create it owned by the identity role, or grant that role CREATEDB"
                ) from exc
    finally:
        await engine.dispose()


async def platform_database_ready(app: FastAPI) -> None:
    """``identity_platform`` answers (the registry and the signing keys live there)."""
    async with app.state.platform_engine.connect() as connection:
        await connection.execute(text("SELECT 1 FROM signing_keys LIMIT 1"))


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    """Build the identity app from settings (the environment by default)."""
    settings = settings or IdentitySettings()
    databases = TenantDatabases(settings.database_url.get_secret_value(), "identity")
    platform_url = databases.url_for(settings.platform_database)
    # Counted against the pod's connection budget with the tenant engines (below).
    platform_engine = create_async_engine(
        platform_url,
        pool_size=max(1, settings.db_connection_budget // 4),
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout_seconds,
        connect_args={"prepare_threshold": None} if settings.db_transaction_pooler else {},
        hide_parameters=True,
    )
    replace_closed_connections(platform_engine)
    signing_keys = SigningKeys(
        platform_engine,
        algorithm=settings.signing_algorithm,
        access_ttl=settings.access_token_ttl_seconds,
        passphrase=(
            settings.signing_key_passphrase.get_secret_value()
            if settings.signing_key_passphrase
            else None
        ),
    )

    # A cutoff outlives every access token it refuses, with a minute of clock skew.
    keep_cutoffs = settings.access_token_ttl_seconds + 60
    tenant_status = CachedTenantStatus(
        platform_registry(platform_engine, keep_cutoffs_seconds=keep_cutoffs),
        ttl=settings.tenant_status_ttl_seconds,
    )
    token_cutoffs = TokenCutoffs(platform_engine, keep_seconds=keep_cutoffs, status=tenant_status)
    events = EventBackbone(settings, "identity", outbox=OutboxEvent)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Replicas may start together; Alembic's transactional DDL plus the version
        # table make a concurrent second run a no-op or a clean failure that restarts.
        await ensure_platform_database(databases.url_for("postgres"), settings.platform_database)
        await asyncio.to_thread(upgrade_database, PLATFORM_MIGRATIONS, platform_url)
        await signing_keys.ensure_active_key()
        try:
            async with events.lifespan(app):
                yield
        finally:
            await platform_engine.dispose()

    app = create_service_app(
        settings,
        description="Tenant registry, users, roles, login and token signing keys.",
        routers=[
            auth_endpoints.router,
            password_reset_endpoints.router,
            user_endpoints.router,
            invite_endpoints.router,
            invite_endpoints.internal,
            key_endpoints.public,
            key_endpoints.internal,
            registry_endpoints.router,
            onboarding_router("identity", TENANT_MIGRATIONS),
        ],
        role_permissions=ROLE_PERMISSIONS,
        key_source=signing_keys,
        tenant_status=tenant_status,
        readiness=(database_server_ready, platform_database_ready),
        lifespan=lifespan,
    )
    app.state.databases.budget.watch(platform_engine)
    app.state.platform_engine = platform_engine
    app.state.signing_keys = signing_keys
    app.state.token_cutoffs = token_cutoffs
    app.state.sealer = settings.sealer()
    return app


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn mosaico_identity.main:app`` builds the app on first access, so importing
    # this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
