"""Tenant status for identity's own requests, read from its own registry."""

from __future__ import annotations

from cachetools import TTLCache
from mosaico_shared.contracts.tenants import TenantRecord
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mosaico_identity.registry.service import get_tenant

_NOT_CACHED = object()


class LocalTenantStatus:
    """The registry, cached for a second: suspension takes effect almost at once."""

    def __init__(self, engine: AsyncEngine, *, ttl: float) -> None:
        self.engine = engine
        self._cache: TTLCache[str, TenantRecord | None] = TTLCache(maxsize=4096, ttl=ttl)

    async def status(self, tenant: str) -> TenantRecord | None:
        # One read: between ``in`` and ``[]`` a TTL entry may expire.
        cached = self._cache.get(tenant, _NOT_CACHED)
        if cached is not _NOT_CACHED:
            return cached  # type: ignore[return-value]
        async with AsyncSession(self.engine) as session:
            record = await get_tenant(session, tenant)
        self._cache[tenant] = record
        return record

    def forget(self, tenant: str) -> None:
        self._cache.pop(tenant, None)
