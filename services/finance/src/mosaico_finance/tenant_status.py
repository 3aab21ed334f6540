"""The tenant's registry record (limits, modules, suspension), read from identity.

Same behaviour as ``mosaico_shared.tenancy.status.IdentityTenantStatus``, but the cache
is read once (``get``) instead of ``in`` then ``[]``: between those two reads a TTL
entry can expire, and the ``KeyError`` became a 500. Drop this module once the shared
class reads its cache the same way.
"""

from __future__ import annotations

from cachetools import TTLCache
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import NotFound

_NOT_CACHED = object()


class CachedTenantStatus:
    """Reads ``/identity/internal/tenants/{slug}``, cached for ``ttl`` seconds."""

    def __init__(self, identity: ServiceClient, *, ttl: float, maxsize: int = 4096) -> None:
        self.identity = identity
        self._cache: TTLCache[str, TenantRecord | None] = TTLCache(maxsize=maxsize, ttl=ttl)

    async def status(self, tenant: str) -> TenantRecord | None:
        """The tenant's record, or None when identity does not know it."""
        cached = self._cache.get(tenant, _NOT_CACHED)
        if cached is not _NOT_CACHED:
            return cached  # type: ignore[return-value]
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
