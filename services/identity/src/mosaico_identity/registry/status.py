"""Tenant status for identity's own requests, read from its own registry."""

from __future__ import annotations

import time

from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.tenancy.status import TenantLoader
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mosaico_identity.registry.service import get_tenant


def platform_registry(engine: AsyncEngine, *, keep_cutoffs_seconds: int) -> TenantLoader:
    """Loads tenants from ``identity_platform`` directly (identity is the registry)."""

    async def load(tenant: str) -> TenantRecord | None:
        async with AsyncSession(engine) as session:
            since = int(time.time()) - keep_cutoffs_seconds
            return await get_tenant(session, tenant, cutoffs_since=since)

    return load
