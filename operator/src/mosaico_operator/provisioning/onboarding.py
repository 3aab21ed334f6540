"""identity's tenant registry and the modules' onboarding endpoints, each called with
the operator's own credential for that service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from mosaico_shared.contracts.tenants import (
    FirstAdmin,
    FirstAdminResult,
    OnboardingResult,
    TenantRecord,
    TenantUpsert,
)
from mosaico_shared.credentials import CallerCredentials
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import DependencyUnavailable, NotFound, Problem

from mosaico_operator.provisioning.errors import DependencyDown, ProvisioningError, Rejected
from mosaico_operator.service_urls import ServiceAddresses


@dataclass(frozen=True)
class ModuleTarget:
    """Everything needed to provision one module for a tenant."""

    module: str
    admin_dsn: str
    owner: str
    service_url: str
    onboarding_path: str = "/{module}/internal/tenants/{tenant}/onboard"
    version: str = ""

    def onboarding_url_path(self, tenant: str) -> str:
        return self.onboarding_path.format(module=self.module, tenant=tenant)


def _failure(what: str, exc: Problem, *, module: str | None = None) -> ProvisioningError:
    """A problem answer as a provisioning error: waiting helps only when it was down."""
    if isinstance(exc, DependencyUnavailable):
        reason = "IdentityUnavailable" if module in (None, "identity") else "ModuleUnavailable"
        return DependencyDown(reason, f"{what}: {exc}", module=module)
    return Rejected(f"{type(exc).__name__}Answer", f"{what}: {exc}", module=module)


class RequestCounter(Protocol):
    """Told of every request sent (the operator counts them in a metric)."""

    def __call__(self, request: str, outcome: str) -> None: ...


def _uncounted(request: str, outcome: str) -> None:
    return None


class IdentityRegistry:
    """identity's internal tenant API."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        count: RequestCounter | None = None,
    ) -> None:
        self.client = ServiceClient(
            base_url, name="identity", auth=auth, timeout=timeout, transport=transport
        )
        self.count = count or _uncounted

    async def _send(self, request: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        outcome = "error"
        try:
            response = await self.client.request(method, path, **kwargs)
            outcome = "ok"
            return response
        finally:
            self.count(request, outcome)

    async def upsert_tenant(self, slug: str, tenant: TenantUpsert) -> TenantRecord:
        """Create or update the tenant (limits, modules, suspended)."""
        try:
            response = await self._send(
                "upsert_tenant",
                "PUT",
                f"/identity/internal/tenants/{slug}",
                json=tenant.model_dump(mode="json"),
            )
        except Problem as exc:
            raise _failure(f"registering {slug} in identity", exc) from exc
        return TenantRecord.model_validate(response.json())

    async def ensure_first_admin(self, slug: str, admin: FirstAdmin) -> FirstAdminResult:
        """Create the first admin once (or an invite when no password is given)."""
        try:
            response = await self._send(
                "ensure_first_admin",
                "PUT",
                f"/identity/internal/tenants/{slug}/admin",
                json=admin.model_dump(mode="json", exclude_none=True),
            )
        except Problem as exc:
            raise _failure(f"creating the first admin of {slug}", exc) from exc
        return FirstAdminResult.model_validate(response.json())

    async def remove_tenant(self, slug: str) -> bool:
        """Forget the tenant; False when identity did not know it."""
        try:
            await self._send("remove_tenant", "DELETE", f"/identity/internal/tenants/{slug}")
        except NotFound:
            return False
        except Problem as exc:
            raise _failure(f"removing {slug} from identity", exc) from exc
        return True

    async def aclose(self) -> None:
        await self.client.aclose()


class ModuleOnboarding:
    """Calls modules' onboarding endpoints, one pooled client per module URL.

    At most ``concurrency`` onboardings run at once per service URL: a service
    migrates with Alembic, whose module-level context is not safe for two migrations
    at once in one process, so parallel onboardings into one service fail at random.
    A URL that ``allowed_url`` refuses gets no request (and so no credential).
    """

    def __init__(
        self,
        *,
        credentials: CallerCredentials,
        timeout: float = 120.0,
        concurrency: int = 1,
        service_addresses: Mapping[str, str] | None = None,
        allowed_url: Callable[[str], bool] | None = None,
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.concurrency = concurrency
        self.service_addresses = dict(service_addresses or {})
        self.allowed_url = allowed_url
        self._clients: dict[str, ServiceClient] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}

    def _client(self, target: ModuleTarget) -> ServiceClient:
        # Keyed by module too: one URL may serve several modules, each its own audience.
        key = f"{target.module} {target.service_url}"
        client = self._clients.get(key)
        if client is None:
            # Onboarding migrates a database: slow, but safe to repeat.
            client = ServiceClient(
                target.service_url,
                name=target.module,
                auth=self.credentials.for_service(target.module),
                timeout=self.timeout,
                attempts=2,
                transport=ServiceAddresses(self.service_addresses),
            )
            self._clients[key] = client
        return client

    async def onboard(self, target: ModuleTarget, tenant: str) -> OnboardingResult:
        """Migrate and seed the tenant's database in the module (idempotent)."""
        if self.allowed_url is not None and not self.allowed_url(target.service_url):
            raise Rejected(
                "ServiceUrlOutsideCluster",
                f"{target.module}'s serviceUrl {target.service_url} is not a Service inside "
                "the cluster; the operator sends its credential nowhere else",
                module=target.module,
            )
        path = target.onboarding_url_path(tenant)
        gate = self._gates.setdefault(target.service_url, asyncio.Semaphore(self.concurrency))
        try:
            async with gate:
                response = await self._client(target).request("POST", path, idempotent=True)
        except Problem as exc:
            raise _failure(
                f"onboarding {tenant} into {target.module}", exc, module=target.module
            ) from exc
        return OnboardingResult.model_validate(response.json())

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
