"""The service app factory: every module's FastAPI app is built here."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_fastapi_instrumentator import Instrumentator
from sqlalchemy import text
from swagger_ui_bundle import swagger_ui_path

from mosaico_shared.auth.callers import (
    OPERATOR,
    SERVICES,
    CallerVerifier,
    RequireCaller,
    caller_verifier,
)
from mosaico_shared.auth.tokens import JwksKeySource, KeySource, TokenVerifier
from mosaico_shared.credentials import CallerCredentials
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.logs import configure_logging
from mosaico_shared.openapi import document_error_statuses
from mosaico_shared.problem_handlers import install_problem_handlers
from mosaico_shared.problems import PROBLEM_BASE
from mosaico_shared.reachability import watch_dependency
from mosaico_shared.requests import RequestContextMiddleware
from mosaico_shared.routing import ExactJsonRoute, read_json_exactly
from mosaico_shared.settings import ServiceSettings
from mosaico_shared.tasks import stop_task
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.status import (
    CachedTenantStatus,
    TenantStatusSource,
    identity_registry,
)

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
        "errors": {
            "type": "array",
            "description": "Invalid input: where and what (the input is never echoed)",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}


async def database_server_ready(app: FastAPI) -> None:
    """The module's PostgreSQL server accepts connections."""
    databases: TenantDatabases = app.state.databases
    async with databases.engine_for_database("postgres").connect() as connection:
        await connection.execute(text("SELECT 1"))


def create_service_app(
    settings: ServiceSettings,
    *,
    routers: Sequence[APIRouter],
    version: str = "0.1.0",
    description: str = "",
    role_permissions: Mapping[str, frozenset[str]] | None = None,
    key_source: KeySource | None = None,
    tenant_status: TenantStatusSource | None = None,
    callers: CallerVerifier | None = None,
    readiness: Sequence[ReadinessCheck] | None = None,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    """A FastAPI app under ``/<module>`` with health, readiness, metrics, request ids,
    JSON logs, problem+json errors and token verification wired in.

    ``key_source`` and ``tenant_status`` default to identity over HTTP (JWKS and the
    internal tenant registry); identity passes its own, local ones. ``readiness``
    defaults to the database server: only what the pod itself needs. Whether identity
    answers is a metric (``mosaico_dependency_up``), probed in the background when the
    keys come over HTTP, and an alert in the charts, never a reason to leave the Service.
    ``callers`` (who may call ``/<module>/internal/...``) defaults to what the settings
    say (``internal_auth``). Internal routes stay out of the public OpenAPI; verified
    callers read theirs at ``/<module>/internal/openapi.json``.
    """
    prefix = settings.prefix
    configure_logging(settings.module, level=settings.log_level, json=settings.log_json)

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[None]:
        watcher = None
        if key_source is None:
            watcher = asyncio.create_task(
                watch_dependency(
                    app.state.http,
                    settings.jwks_url,
                    module=settings.module,
                    dependency="identity",
                    interval=settings.dependency_probe_seconds,
                )
            )
        try:
            async with lifespan(app) if lifespan is not None else nullcontext():
                _freeze_what_startup_made()
                yield
        finally:
            await stop_task(watcher)
            await app.state.databases.dispose_all()
            await app.state.caller_verifier.aclose()
            await app.state.identity.aclose()
            await app.state.http.aclose()

    app = FastAPI(
        title=f"Mosaico {settings.module}",
        version=version,
        description=description,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=None,  # served below, from the package: the docs work offline
        redoc_url=None,
        lifespan=app_lifespan,
    )
    http = httpx.AsyncClient(timeout=5.0)
    identity = ServiceClient(
        settings.identity_url,
        name="identity",
        auth=CallerCredentials(settings.caller_tokens_dir).for_service("identity"),
    )
    app.state.settings = settings
    app.state.http = http
    app.state.identity = identity
    app.state.role_permissions = role_permissions or {}
    app.state.caller_verifier = callers or caller_verifier(settings)
    app.state.databases = TenantDatabases(
        settings.database_url.get_secret_value(),
        settings.module,
        max_engines=settings.tenant_engines,
        connection_budget=settings.db_connection_budget,
        pool_timeout=settings.db_pool_timeout_seconds,
        transaction_pooler=settings.db_transaction_pooler,
    )
    app.state.token_verifier = TokenVerifier(
        key_source or JwksKeySource(settings.jwks_url, http, ttl=settings.jwks_ttl_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    app.state.tenant_status = tenant_status or CachedTenantStatus(
        identity_registry(identity), ttl=settings.tenant_status_ttl_seconds
    )

    install_problem_handlers(app)
    app.add_middleware(
        RequestContextMiddleware, module=settings.module, max_body_bytes=settings.max_body_bytes
    )
    if readiness is None:
        readiness = (database_server_ready,)
    app.router.route_class = ExactJsonRoute
    _add_probes(app, prefix, readiness)
    _add_docs(app, prefix, title=f"Mosaico {settings.module}")
    read_json_exactly(routers)
    for router in routers:
        app.include_router(router)
    Instrumentator(
        excluded_handlers=[f"{prefix}/metrics", f"{prefix}/healthz", f"{prefix}/readyz"],
    ).instrument(app).expose(app, endpoint=f"{prefix}/metrics", include_in_schema=False)
    _add_internal_openapi(app, prefix)
    _document_problems(app)
    return app


def _freeze_what_startup_made() -> None:
    """Put every object alive once the service has started (modules, routes, mappers,
    validators) out of the cyclic collector's sight: its full collections then walk only
    what requests made, instead of pausing every request in flight while they walk the
    whole import graph again. Those objects live as long as the process anyway."""
    gc.collect()
    gc.freeze()


def _add_probes(app: FastAPI, prefix: str, readiness: Sequence[ReadinessCheck]) -> None:
    @app.get(f"{prefix}/healthz", tags=["probes"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(f"{prefix}/readyz", tags=["probes"], summary="What the pod itself needs works")
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


def _full_schema(app: FastAPI) -> dict[str, Any]:
    """Every route's OpenAPI, each error status documented with the Problem schema."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    return document_error_statuses(schema)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _part(schema: dict[str, Any], keep: Callable[[str], bool], title: str) -> dict[str, Any]:
    """The paths ``keep`` accepts, with only the schemas and security schemes they use:
    nothing of the other part shows, not even its body shapes."""
    paths = {p: ops for p, ops in schema.get("paths", {}).items() if keep(p)}
    components = schema.get("components", {})
    every = components.get("schemas", {})
    wanted, todo = set(), _refs(paths)
    while todo:
        name = todo.pop()
        if name not in wanted and name in every:
            wanted.add(name)
            todo |= _refs(every[name])
    schemes = {
        name
        for operations in paths.values()
        for operation in operations.values()
        for requirement in operation.get("security", ())
        for name in requirement
    }
    part_components: dict[str, Any] = {"schemas": {n: every[n] for n in sorted(wanted)}}
    known = components.get("securitySchemes", {})
    if schemes:
        part_components["securitySchemes"] = {n: known[n] for n in sorted(schemes) if n in known}
    return {**schema, "info": {**schema["info"], "title": title}, "paths": paths,
            "components": part_components}  # fmt: skip


def _add_internal_openapi(app: FastAPI, prefix: str) -> None:
    """The internal routes' own OpenAPI, for verified callers only."""
    cached: dict[str, Any] = {}

    @app.get(
        f"{prefix}/internal/openapi.json",
        include_in_schema=False,
        dependencies=[Depends(RequireCaller(OPERATOR, *SERVICES))],
    )
    async def internal_openapi() -> dict[str, Any]:
        if not cached:
            internal = f"{prefix}/internal/"
            cached.update(
                _part(
                    _full_schema(app), lambda p: p.startswith(internal), f"{app.title} (internal)"
                )
            )
        return cached


def _add_docs(app: FastAPI, prefix: str, *, title: str) -> None:
    """Swagger UI at ``<prefix>/docs`` with its scripts and styles from the
    ``swagger-ui-bundle-v2`` distribution, never from a CDN."""
    assets = f"{prefix}/docs/assets"
    app.mount(assets, StaticFiles(directory=str(swagger_ui_path)), name=f"{prefix}-docs-assets")

    @app.get(f"{prefix}/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{prefix}/openapi.json",
            title=title,
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
        )


def _document_problems(app: FastAPI) -> None:
    prefix = app.state.settings.prefix

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        internal = f"{prefix}/internal/"
        schema = _part(_full_schema(app), lambda p: not p.startswith(internal), app.title)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
