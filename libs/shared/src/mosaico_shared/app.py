"""The service app factory: every module's FastAPI app is built here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy import text

from mosaico_shared.auth.tokens import JwksKeySource, KeySource, TokenVerifier
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.logs import configure_logging
from mosaico_shared.problems import PROBLEM_BASE, PROBLEM_JSON, install_problem_handlers
from mosaico_shared.requests import RequestContextMiddleware
from mosaico_shared.settings import ServiceSettings
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.status import IdentityTenantStatus, TenantStatusSource

ReadinessCheck = Callable[[FastAPI], Awaitable[None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri", "example": PROBLEM_BASE + "not-found"},
        "title": {"type": "string", "example": "Not Found"},
        "status": {"type": "integer", "example": 404},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "required": ["type", "title", "status"],
}


async def database_server_ready(app: FastAPI) -> None:
    """The module's PostgreSQL server accepts connections."""
    databases: TenantDatabases = app.state.databases
    async with databases.engine_for_database("postgres").connect() as connection:
        await connection.execute(text("SELECT 1"))


async def identity_keys_ready(app: FastAPI) -> None:
    """identity's JWKS can be read (only checked by modules other than identity)."""
    client: httpx.AsyncClient = app.state.http
    response = await client.get(app.state.settings.jwks_url, timeout=2.0)
    response.raise_for_status()


def create_service_app(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    description: str = "",
    role_permissions: Mapping[str, frozenset[str]] | None = None,
    key_source: KeySource | None = None,
    tenant_status: TenantStatusSource | None = None,
    readiness: Sequence[ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """A FastAPI app under ``/<module>`` with health, readiness, metrics, request ids,
    JSON logs, problem+json errors and token verification wired in.

    ``key_source`` and ``tenant_status`` default to identity over HTTP (JWKS and the
    internal tenant registry); identity passes its own, local ones. ``readiness``
    defaults to the database server, plus identity's keys when they come over HTTP.
    """
    prefix = settings.prefix
    configure_logging(settings.module, level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if lifespan is None:
                yield
            else:
                async with lifespan(app):
                    yield
        finally:
            await app.state.databases.dispose_all()
            await app.state.identity.aclose()
            await app.state.http.aclose()

    app = FastAPI(
        title=f"Mosaico {settings.module}",
        version=version,
        description=description,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
        lifespan=app_lifespan,
    )
    http = httpx.AsyncClient(timeout=5.0)
    identity = ServiceClient(
        settings.identity_url,
        name="identity",
        token=settings.internal_token.get_secret_value(),
    )
    app.state.settings = settings
    app.state.http = http
    app.state.identity = identity
    app.state.role_permissions = role_permissions or {}
    app.state.databases = TenantDatabases(
        settings.database_url,
        settings.module,
        max_engines=settings.tenant_engines,
        pool_size=settings.tenant_pool_size,
        max_overflow=settings.tenant_pool_overflow,
    )
    app.state.token_verifier = TokenVerifier(
        key_source or JwksKeySource(settings.jwks_url, http, ttl=settings.jwks_ttl_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    app.state.tenant_status = tenant_status or IdentityTenantStatus(
        identity, ttl=settings.tenant_status_ttl_seconds
    )

    install_problem_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, module=settings.module, max_body_bytes=settings.max_body_bytes
    )
    if readiness is None:
        readiness = (
            (database_server_ready,)
            if key_source is not None
            else (database_server_ready, identity_keys_ready)
        )
    _add_probes(app, prefix, readiness)
    for router in routers:
        app.include_router(router)
    Instrumentator(
        excluded_handlers=[f"{prefix}/metrics", f"{prefix}/healthz", f"{prefix}/readyz"],
    ).instrument(app).expose(app, endpoint=f"{prefix}/metrics", include_in_schema=False)
    _document_problems(app)
    return app


def _add_probes(app: FastAPI, prefix: str, readiness: Sequence[ReadinessCheck]) -> None:
    @app.get(f"{prefix}/healthz", tags=["probes"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(f"{prefix}/readyz", tags=["probes"], summary="Dependencies are reachable")
    async def readyz(request: Request) -> JSONResponse:
        checks: dict[str, str] = {}
        for check in readiness:
            try:
                await check(request.app)
                checks[check.__name__] = "ok"
            except Exception as exc:
                checks[check.__name__] = f"failing: {type(exc).__name__}"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )


def _document_problems(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = PROBLEM_SCHEMA
        # Validation errors are rendered as problems too (see problems.py): say so.
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["description"] = "Invalid input"
                    invalid["content"] = {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
