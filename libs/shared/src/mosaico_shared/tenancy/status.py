"""Whether a tenant may use a module right now, as identity's registry says."""

from __future__ import annotations

from typing import Protocol

from cachetools import TTLCache

from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import NotFound


class _NotCached:
    pass


_NOT_CACHED = _NotCached()


class TenantStatusSource(Protocol):
    """Looks a tenant up in the registry; ``None`` when it is unknown."""

    async def status(self, tenant: str) -> TenantRecord | None:
        """The tenant's record, or None when there is no such tenant."""
        ...


class IdentityTenantStatus:
    """Reads ``/identity/internal/tenants/{slug}``, cached briefly so suspending a
    tenant takes effect within ``ttl`` seconds without a registry call per request."""

    def __init__(self, identity: ServiceClient, *, ttl: float = 5.0, maxsize: int = 4096) -> None:
        self.identity = identity
        self._cache: TTLCache[str, TenantRecord | _NotCached | None] = TTLCache(
            maxsize=maxsize, ttl=ttl
        )

    async def status(self, tenant: str) -> TenantRecord | None:
        """The tenant's record from the cache or from identity."""
        # One read: between ``in`` and ``[]`` a TTL entry may expire.
        cached = self._cache.get(tenant, _NOT_CACHED)
        if not isinstance(cached, _NotCached):
            return cached
        try:
            data = await self.identity.get_json(f"/identity/internal/tenants/{tenant}")
            record: TenantRecord | None = TenantRecord.model_validate(data)
        except NotFound:
            record = None
        self._cache[tenant] = record
        return record

    def forget(self, tenant: str) -> None:
        """Drop a cached answer (after the operator changed the tenant)."""
        self._cache.pop(tenant, None)
