"""Provision one tenant end to end; the operator calls this on every reconcile and
``make up`` calls it directly, with no Kubernetes at all."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from mosaico_shared.contracts.tenants import (
    FirstAdmin,
    FirstAdminResult,
    OnboardingResult,
    TenantUpsert,
)
from mosaico_shared.credentials import CallerCredentials
from mosaico_shared.tenancy.names import database_name

from mosaico_operator.models import PlanSpec, TenantSpec, effective_limits
from mosaico_operator.provisioning.databases import DatabaseGates, provision_module_database
from mosaico_operator.provisioning.errors import ProvisioningError, Rejected
from mosaico_operator.provisioning.onboarding import (
    IdentityRegistry,
    ModuleOnboarding,
    ModuleTarget,
    RequestCounter,
)
from mosaico_operator.service_urls import ServiceAddresses
from mosaico_operator.validation import first_admin_contract, validate_tenant


class Reporter(Protocol):
    """Told about each step (the operator turns these into Kubernetes Events)."""

    def __call__(self, reason: str, message: str) -> None: ...


def _silent(reason: str, message: str) -> None:
    return None


@dataclass
class ModuleOutcome:
    module: str
    database: str
    database_created: bool = False
    schema_version: str | None = None


@dataclass
class TenantOutcome:
    """What provisioning did; ``modules`` holds every enabled module."""

    modules: dict[str, ModuleOutcome] = field(default_factory=dict)
    #: None when identity was not asked (it already held what it would have been sent).
    first_admin: FirstAdminResult | None = None
    #: The fingerprint of what identity holds for the tenant (see ``identity_fingerprint``).
    identity_fingerprint: str = ""
    #: Whether identity was sent the tenant and its first admin in this run.
    identity_sent: bool = False

    @property
    def created_databases(self) -> list[str]:
        return [m.database for m in self.modules.values() if m.database_created]


@dataclass(frozen=True)
class Services:
    """The clients provisioning talks through; build once, share across tenants."""

    identity: IdentityRegistry
    onboarding: ModuleOnboarding
    databases: DatabaseGates

    @classmethod
    def connect(
        cls,
        identity_url: str,
        *,
        credentials: CallerCredentials,
        module_timeout: float = 120.0,
        onboarding_concurrency: int = 1,
        database_connections: int = 8,
        service_addresses: Mapping[str, str] | None = None,
        allowed_url: Callable[[str], bool] | None = None,
        count_identity_request: RequestCounter | None = None,
    ) -> Services:
        """``credentials`` are the operator's own (one token per service);
        ``allowed_url`` refuses module URLs the credentials must not go to;
        ``service_addresses`` (see ``ServiceAddresses``) redirects connections;
        ``count_identity_request`` is told of every request sent to identity."""
        return cls(
            IdentityRegistry(
                identity_url,
                auth=credentials.for_service("identity"),
                transport=ServiceAddresses(service_addresses or {}),
                count=count_identity_request,
            ),
            ModuleOnboarding(
                credentials=credentials,
                timeout=module_timeout,
                concurrency=onboarding_concurrency,
                service_addresses=service_addresses,
                allowed_url=allowed_url,
            ),
            DatabaseGates(database_connections),
        )

    async def aclose(self) -> None:
        await self.identity.aclose()
        await self.onboarding.aclose()


async def provision_tenant(
    *,
    slug: str,
    spec: TenantSpec,
    plan: PlanSpec,
    modules: Mapping[str, ModuleTarget],
    services: Services,
    admin_password: str | None = None,
    known_versions: Mapping[str, str | None] | None = None,
    settled: Collection[str] = (),
    identity_holds: str | None = None,
    report: Reporter = _silent,
) -> TenantOutcome:
    """Databases for every enabled module, the tenant in identity (plan limits with
    overrides, modules, suspension), each module onboarded, and the first admin.

    Idempotent: run it again and nothing changes. ``modules`` maps each enabled module
    to where it lives. Raises :class:`ProvisioningError` (``retryable`` says whether
    waiting can help). ``known_versions`` (module -> schema version from a previous
    run) keeps ``report`` to what changed. Modules in ``settled`` (onboarded before at
    the module's current version) are onboarded again only if their database had to
    be created: the drift timer's cheap path. Likewise identity is sent nothing when
    ``identity_holds`` is the fingerprint of what it would be sent (what it was sent
    last, by the caller's record); the caller says when that record is too old to trust.
    """
    invalid = validate_tenant(slug, spec, plan, modules.keys())
    if invalid is not None:
        raise Rejected(invalid.reason, invalid.message)
    enabled = spec.enabled_modules()
    known = known_versions or {}
    outcome = TenantOutcome(
        modules={
            m: ModuleOutcome(m, database_name(m, slug), schema_version=known.get(m))
            for m in enabled
        }
    )

    created = await asyncio.gather(
        *(
            provision_module_database(
                modules[m].admin_dsn,
                m,
                slug,
                modules[m].owner,
                gates=services.databases,
                trust_catalog=m in settled,
            )
            for m in enabled
        )
    )
    for module, result in zip(enabled, created, strict=True):
        outcome.modules[module].database_created = result.created
        if result.created:
            report("DatabaseCreated", f"created database {result.database} for {module}")

    registration = TenantUpsert(
        display_name=spec.display_name,
        cnpj=spec.cnpj,
        plan=spec.plan,
        limits=effective_limits(plan.limits, spec.limits),
        modules=enabled,
        suspended=spec.suspended,
    )
    first_admin = first_admin_contract(spec.first_admin, admin_password)
    outcome.identity_fingerprint = identity_fingerprint(registration, first_admin)
    # A recreated database (identity's holds the users) is news to identity too.
    outcome.identity_sent = outcome.identity_fingerprint != identity_holds or bool(
        outcome.created_databases
    )
    if outcome.identity_sent:
        await services.identity.upsert_tenant(slug, registration)

    # identity first: its tenant database holds the users the first admin joins.
    pending = [m for m in enabled if m not in settled or outcome.modules[m].database_created]
    if "identity" in pending:
        await _onboard(services, modules["identity"], slug, outcome, report)
    await asyncio.gather(
        *(_onboard(services, modules[m], slug, outcome, report) for m in pending if m != "identity")
    )

    if not outcome.identity_sent:
        return outcome
    outcome.first_admin = await services.identity.ensure_first_admin(slug, first_admin)
    if outcome.first_admin.created:
        how = "invited" if outcome.first_admin.invite_token else "created"
        report("FirstAdminCreated", f"first admin {spec.first_admin.email} {how}")
    elif outcome.first_admin.restored:
        report(
            "FirstAdminRestored",
            f"no active admin was left: {spec.first_admin.email} is active and admin again",
        )
    return outcome


def identity_fingerprint(registration: TenantUpsert, first_admin: FirstAdmin) -> str:
    """A digest of what identity is told about a tenant, to know when it is told nothing
    new. The first admin's password is left out (identity uses it only to create the
    admin, and a digest of it would be a secret): only whether there is one counts."""
    told = {
        "tenant": registration.model_dump(mode="json"),
        "firstAdmin": first_admin.model_dump(mode="json", exclude={"password"}),
        "password": first_admin.password is not None,
    }
    canonical = json.dumps(told, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def _onboard(
    services: Services,
    target: ModuleTarget,
    slug: str,
    outcome: TenantOutcome,
    report: Reporter,
) -> None:
    result: OnboardingResult = await services.onboarding.onboard(target, slug)
    module = outcome.modules[target.module]
    if module.database_created or module.schema_version != result.schema_version:
        report(
            "ModuleOnboarded",
            f"{target.module} onboarded: {result.database} at schema {result.schema_version}",
        )
    module.schema_version = result.schema_version


__all__ = [
    "ModuleOutcome",
    "ModuleTarget",
    "ProvisioningError",
    "Reporter",
    "Services",
    "TenantOutcome",
    "identity_fingerprint",
    "provision_tenant",
]
