"""The onboarding endpoint every module exposes to the operator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_shared.auth.callers import OPERATOR, RequireCaller
from mosaico_shared.contracts.tenants import OnboardingResult
from mosaico_shared.migrations import current_revision, upgrade_database_async
from mosaico_shared.problems import TenantNotProvisioned, is_missing_database, problem_responses
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import TENANT_SLUG_PATTERN, database_name
from mosaico_shared.tenancy.session import open_tenant_session

SeedDefaults = Callable[[AsyncSession, str], Awaitable[None]]
TenantSlug = PathParam(pattern=TENANT_SLUG_PATTERN, examples=["acme"])


def onboarding_router(module: str, migrations: Path, seed: SeedDefaults | None = None) -> APIRouter:
    """``POST /<module>/internal/tenants/{tenant}/onboard`` migrates the tenant database
    (created beforehand by the operator) and seeds its defaults; idempotent.
    ``GET`` on the same path tells the schema version it is at (not
    ``/<module>/internal/tenants/{tenant}``, which is identity's tenant registry).
    Only the operator may call them."""
    router = APIRouter(
        prefix=f"/{module}/internal/tenants",
        tags=["internal"],
        dependencies=[Depends(RequireCaller(OPERATOR))],
    )

    async def _revision(databases: TenantDatabases, tenant: str) -> str | None:
        import asyncio

        from sqlalchemy.exc import OperationalError

        try:
            return await asyncio.to_thread(current_revision, databases.tenant_url(tenant))
        except OperationalError as exc:
            if is_missing_database(exc):
                raise TenantNotProvisioned(
                    f"Database {database_name(module, tenant)} does not exist."
                ) from exc
            raise

    @router.post(
        "/{tenant}/onboard",
        response_model=OnboardingResult,
        responses=problem_responses(TenantNotProvisioned),
    )
    async def onboard_tenant(request: Request, tenant: str = TenantSlug) -> OnboardingResult:
        databases: TenantDatabases = request.app.state.databases
        await _revision(databases, tenant)  # a clear 404 when the database is missing
        revision = await upgrade_database_async(migrations, databases.tenant_url(tenant))
        if seed is not None:
            session = await open_tenant_session(databases, tenant)
            async with session:
                await seed(session, tenant)
                await session.commit()
        return OnboardingResult(
            module=module,
            tenant=tenant,
            database=database_name(module, tenant),
            schema_version=revision,
        )

    @router.get(
        "/{tenant}/onboard",
        response_model=OnboardingResult,
        responses=problem_responses(TenantNotProvisioned),
    )
    async def tenant_schema(request: Request, tenant: str = TenantSlug) -> OnboardingResult:
        revision = await _revision(request.app.state.databases, tenant)
        return OnboardingResult(
            module=module,
            tenant=tenant,
            database=database_name(module, tenant),
            schema_version=revision,
        )

    return router
