"""Whether a tenant may use a module right now, as identity's registry says, and the
``CurrentTenant`` dependency that hands the caller's tenant record to an endpoint."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Protocol

from cachetools import TTLCache
from fastapi import Depends, Request
from pydantic import ValidationError

from mosaico_shared.auth.principal import CurrentPrincipal
from mosaico_shared.contracts.tenants import TenantRecord
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import (
    BadGateway,
    BadRequest,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    NotFound,
    Unauthorized,
)

TenantLoader = Callable[[str], Awaitable[TenantRecord | None]]
"""Reads one tenant from the registry; ``None`` when there is no such tenant."""


class TenantStatusSource(Protocol):
    """Looks a tenant up in the registry; ``None`` when it is unknown."""

    async def status(self, tenant: str) -> TenantRecord | None:
        """The tenant's record, or None when there is no such tenant."""
        ...

    def forget(self, tenant: str) -> None:
        """Drop what is known about ``tenant`` (it was just changed)."""
        ...


class _NotCached:
    pass


_NOT_CACHED = _NotCached()


class CachedTenantStatus:
    """Tenant records from ``load``, cached for ``ttl`` seconds: suspending a tenant
    takes effect within ``ttl`` without a registry read per request. Unknown tenants
    are cached too, so a flood of made-up slugs does not reach the registry."""

    def __init__(self, load: TenantLoader, *, ttl: float, maxsize: int = 4096) -> None:
        self.load = load
        self._cache: TTLCache[str, TenantRecord | _NotCached | None] = TTLCache(
            maxsize=maxsize, ttl=ttl
        )

    async def status(self, tenant: str) -> TenantRecord | None:
        """The tenant's record from the cache or from the registry."""
        # One read: between ``in`` and ``[]`` a TTL entry may expire.
        cached = self._cache.get(tenant, _NOT_CACHED)
        if not isinstance(cached, _NotCached):
            return cached
        record = await self.load(tenant)
        self._cache[tenant] = record
        return record

    def forget(self, tenant: str) -> None:
        """Drop a cached answer (after the operator changed the tenant)."""
        self._cache.pop(tenant, None)


def identity_registry(identity: ServiceClient) -> TenantLoader:
    """Loads tenants from identity's ``/identity/internal/tenants/{slug}``."""

    async def load(tenant: str) -> TenantRecord | None:
        try:
            data = await identity.get_json(f"/identity/internal/tenants/{tenant}", cached=False)
        except NotFound:
            return None
        except (Unauthorized, Forbidden, BadRequest, Conflict) as exc:
            # identity refused this service, not the caller: the caller's request is
            # fine, the platform is not (a credential out of step, say).
            raise DependencyUnavailable(
                f"identity refused to read the tenant registry ({exc.status})."
            ) from exc
        try:
            return TenantRecord.model_validate(data)
        except ValidationError as exc:
            raise BadGateway(
                "identity answered with a tenant record this service cannot read."
            ) from exc

    return load


async def current_tenant(request: Request, principal: CurrentPrincipal) -> TenantRecord:
    """The caller's tenant as the registry holds it (looked up while the token was
    checked, so this costs nothing more)."""
    record: TenantRecord | None = getattr(request.state, "tenant_record", None)
    if record is None or record.slug != principal.tenant:
        raise Unauthorized("The token's tenant is unknown.")
    return record


CurrentTenant = Annotated[TenantRecord, Depends(current_tenant)]
