"""identity's tenant registry and the modules' onboarding endpoints, through the
internal credential."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mosaico_shared.contracts.tenants import (
    FirstAdmin,
    FirstAdminResult,
    OnboardingResult,
    TenantRecord,
    TenantUpsert,
)
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import DependencyUnavailable, NotFound, Problem

from mosaico_operator.provisioning.errors import DependencyDown, ProvisioningError, Rejected


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


class IdentityRegistry:
    """identity's internal tenant API."""

    def __init__(self, base_url: str, *, token: str, timeout: float = 30.0) -> None:
        self.client = ServiceClient(base_url, name="identity", token=token, timeout=timeout)

    async def upsert_tenant(self, slug: str, tenant: TenantUpsert) -> TenantRecord:
        """Create or update the tenant (limits, modules, suspended)."""
        try:
            response = await self.client.request(
                "PUT", f"/identity/internal/tenants/{slug}", json=tenant.model_dump(mode="json")
            )
        except Problem as exc:
            raise _failure(f"registering {slug} in identity", exc) from exc
        return TenantRecord.model_validate(response.json())

    async def ensure_first_admin(self, slug: str, admin: FirstAdmin) -> FirstAdminResult:
        """Create the first admin once (or an invite when no password is given)."""
        try:
            response = await self.client.request(
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
            await self.client.request("DELETE", f"/identity/internal/tenants/{slug}")
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
    """

    def __init__(self, *, token: str, timeout: float = 120.0, concurrency: int = 1) -> None:
        self.token = token
        self.timeout = timeout
        self.concurrency = concurrency
        self._clients: dict[str, ServiceClient] = {}
        self._gates: dict[str, asyncio.Semaphore] = {}

    def _client(self, target: ModuleTarget) -> ServiceClient:
        client = self._clients.get(target.service_url)
        if client is None:
            # Onboarding migrates a database: slow, but safe to repeat.
            client = ServiceClient(
                target.service_url,
                name=target.module,
                token=self.token,
                timeout=self.timeout,
                attempts=2,
            )
            self._clients[target.service_url] = client
        return client

    async def onboard(self, target: ModuleTarget, tenant: str) -> OnboardingResult:
        """Migrate and seed the tenant's database in the module (idempotent)."""
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
