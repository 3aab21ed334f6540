"""The shape of Tenant, Plan and Module objects: the one source of their CRDs' schemas.

The CRDs' OpenAPI schemas and CEL rules are generated from these models
(:mod:`mosaico_operator.crds`), and the models check the same rules when the operator
reads a spec (:mod:`mosaico_operator.admission`), so admission and the operator agree on
what a spec may be. Class docstrings and field descriptions are what ``kubectl explain``
shows. Check digits and cross-object references are checked in
:mod:`mosaico_operator.validation`, where a failure can be explained.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from mosaico_shared.brazil import CNPJ_PATTERN, CPF_PATTERN
from mosaico_shared.contracts.tenants import MODULES, PlanLimits
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

from mosaico_operator.admission import (
    DateTime,
    DecimalText,
    ListMap,
    ListSet,
    Opaque,
    Rule,
    at_least_one,
    matches,
    one_of,
    whole_number,
)
from mosaico_operator.service_urls import IN_CLUSTER_URL

GROUP = "mosaico.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
TENANTS, PLANS, MODULES_PLURAL = "tenants", "plans", "modules"

#: The shapes identity's contract accepts (check digits are the operator's to verify).
CNPJ_SHAPE = CNPJ_PATTERN
CPF_SHAPE = CPF_PATTERN
EMAIL_SHAPE = "^[^@ ]+@[^@ ]+[.][^@ ]+$"
PHONE_SHAPE = "^[+]?[0-9 ().-]{10,20}$"
PRICE_SHAPE = "^[0-9]{1,9}([.][0-9]{1,2})?$"
NAME_SHAPE = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

DeletionPolicy = Literal["Retain", "Delete"]


ModuleName = Annotated[str, Field(max_length=32, description="A module name.")]
ModuleNames = Annotated[
    list[ModuleName],
    Field(max_length=len(MODULES)),
    ListSet(),
    at_least_one("enable at least one module"),
    one_of(MODULES, f"every module must be one of: {', '.join(MODULES)}"),
]
FeatureFlags = Annotated[
    list[Annotated[str, Field(max_length=64, description="A feature flag.")]],
    Field(max_length=64),
    ListSet(),
]
Count = Annotated[int, Field(ge=0), BeforeValidator(whole_number)]


class CamelModel(BaseModel):
    """Fields by their camelCase names only, as in the object: ``display_name`` is an
    unknown field to the API server (it drops it), so not a display name here either.
    Strict: a JSON string is not a number nor a boolean to the API server, so not here
    either ("5" is no maxUsers, "true" no suspended)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        extra="ignore",
        strict=True,
    )


class SecretKeyRef(CamelModel):
    """One key of a Secret."""

    name: str = Field(max_length=253, min_length=1, description="Secret name.")
    namespace: str = Field(max_length=63, min_length=1, description="Secret namespace.")
    key: str = Field(max_length=253, min_length=1, description="Key inside the Secret.")


class Limits(CamelModel):
    """Plan limits, or a tenant's overrides of them; absent means unlimited / inherited."""

    max_users: Count | None = Field(default=None, description="Users in the tenant.")
    max_products: Count | None = Field(default=None, description="Products in the catalogue.")
    max_transactions: Count | None = Field(
        default=None, description="Financial transactions per month."
    )


class FirstAdminSpec(CamelModel):
    """The tenant's first administrator, created once."""

    full_name: str = Field(max_length=100, min_length=1, description="Full name.")
    cpf: Annotated[
        str, Field(max_length=14), matches(CPF_SHAPE, "cpf must be 11 digits (529.982.247-25)")
    ] = Field(
        description="CPF, with or without punctuation (check digits are verified by the operator)."
    )
    email: Annotated[
        str, Field(max_length=254), matches(EMAIL_SHAPE, "email must look like a@b.c")
    ] = Field(description="E-mail.")
    whatsapp: (
        Annotated[
            str, Field(max_length=20), matches(PHONE_SHAPE, "whatsapp must be a phone number")
        ]
        | None
    ) = Field(default=None, description="WhatsApp number (+55 11 98765-4321).")
    password_secret_ref: SecretKeyRef | None = Field(
        default=None,
        description="Initial password; without it identity issues an invite, which the "
        "operator stores in a Secret in its namespace.",
    )


class TenantSpec(CamelModel):
    """What the tenant has."""

    display_name: str = Field(max_length=200, min_length=1, description="Trade name.")
    cnpj: Annotated[
        str,
        Field(max_length=18),
        matches(
            CNPJ_SHAPE,
            "cnpj must be 12 digits or letters and 2 check digits "
            "(11.222.333/0001-81, 12.ABC.345/01DE-35)",
        ),
    ] = Field(
        description="CNPJ, numeric or alphanumeric, with or without punctuation (check "
        "digits are verified by the operator)."
    )
    plan: Annotated[
        str, Field(max_length=63), matches(NAME_SHAPE, "plan must be a Plan object's name")
    ] = Field(description="Name of a Plan object.")
    modules: ModuleNames = Field(description="Enabled modules (identity is always enabled).")
    first_admin: FirstAdminSpec
    limits: Limits = Field(
        default_factory=Limits, description="Overrides of the plan's limits, field by field."
    )
    suspended: bool = Field(
        default=False, description="Every module answers 403 for a suspended tenant."
    )
    deletion_policy: DeletionPolicy = Field(
        default="Retain",
        description="Retain keeps the databases; Delete dumps them, then drops them.",
    )

    def enabled_modules(self) -> list[str]:
        """identity first (every tenant has it: nobody logs in without it), then the rest."""
        return ["identity", *sorted(set(self.modules) - {"identity"})]


class PlanSpec(CamelModel):
    """What a plan costs and allows."""

    display_name: str = Field(
        max_length=100, min_length=1, description="Lojista, Empresa, Corporativo..."
    )
    price: Annotated[
        Decimal,
        DecimalText(13, matches(PRICE_SHAPE, "price must be a decimal like 199.90")),
    ] = Field(description='Price in BRL as a decimal string ("199.90").')
    billing_cycle: Literal["monthly", "yearly"] = Field(description="monthly or yearly.")
    limits: Limits = Field(
        default_factory=Limits, description="Limits; an absent field is unlimited."
    )
    modules: ModuleNames = Field(description="Modules a tenant on this plan may enable.")
    features: FeatureFlags = Field(default_factory=list, description="Feature flags.")

    def allows(self, module: str) -> bool:
        return module == "identity" or module in self.modules


class ModuleDatabase(CamelModel):
    """The module's PostgreSQL server."""

    admin_secret_ref: SecretKeyRef = Field(
        description="A Secret key holding an admin DSN (may CREATE/DROP DATABASE)."
    )
    #: The module's application role, owner of every tenant database of the module.
    owner: str = Field(
        max_length=63,
        min_length=1,
        description="The module's application role; owns each tenant database.",
    )


ONBOARDING_PATH = Rule(
    "self.startsWith('/') && self.contains('{tenant}')",
    "onboardingPath starts with / and contains {tenant}",
    lambda path: path.startswith("/") and "{tenant}" in path,
)


class ModuleSpec(CamelModel):
    """Where a module lives and where its databases are; rendered by the module's chart."""

    database: ModuleDatabase
    service_url: Annotated[
        str,
        Field(max_length=512),
        matches(
            IN_CLUSTER_URL,
            "serviceUrl must be a Service inside the cluster: "
            "http(s)://<name>.<namespace>.svc[.cluster.local][:port]",
        ),
    ] = Field(
        description="Base URL of the module's Service inside the cluster "
        "(http://crm.mosaico.svc:8000); the operator sends its credential there."
    )
    onboarding_path: Annotated[str, Field(max_length=256), ONBOARDING_PATH] = Field(
        default="/{module}/internal/tenants/{tenant}/onboard",
        description="Path of the onboarding endpoint; {module} and {tenant} are filled in.",
    )
    version: str = Field(
        max_length=64, min_length=1, description="The module's version (its chart's appVersion)."
    )


def effective_limits(plan: Limits, overrides: Limits) -> PlanLimits:
    """The plan's limits with the tenant's overrides applied field by field."""
    merged = plan.model_dump() | overrides.model_dump(exclude_none=True)
    return PlanLimits.model_validate(merged)


# What the operator writes into status. It builds status as plain mappings
# (mosaico_operator.status); these models are their schema.

KopfState = Annotated[dict[str, Any], Opaque()]
KOPF_DESCRIPTION = "Room for Kopf's own bookkeeping, should it write any into status."


class Condition(CamelModel):
    """A condition in the Kubernetes convention."""

    type: str = Field(max_length=64, description="Ready, DatabasesReady, ModulesReady, ...")
    status: Literal["True", "False", "Unknown"]
    reason: Annotated[str, Field(max_length=128)] | None = Field(
        default=None, description="CamelCase reason."
    )
    message: Annotated[str, Field(max_length=4096)] | None = Field(
        default=None, description="What a person should know."
    )
    last_transition_time: Annotated[str, DateTime()] | None = None
    observed_generation: Count | None = Field(
        default=None, description="Generation the condition describes."
    )


class ModuleState(CamelModel):
    """One module of the tenant."""

    state: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="Pending, Ready, Waiting, Failed or Disabled."
    )
    database: Annotated[str, Field(max_length=63)] | None = Field(
        default=None, description="The tenant's database in this module."
    )
    schema_version: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="Migration revision the database is at."
    )
    module_version: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="The Module's version when it was onboarded."
    )
    message: Annotated[str, Field(max_length=4096)] | None = Field(
        default=None, description="Why, when not Ready."
    )


class IdentitySync(CamelModel):
    """The last registration identity acknowledged."""

    spec_hash: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="SHA-256 of the tenant and first admin sent (no password)."
    )
    synced_at: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="When it was sent (UTC)."
    )


class TenantStatus(CamelModel):
    """What the operator observed and did."""

    phase: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="Pending, Provisioning, Ready, Suspended, Failed or Deleting."
    )
    observed_generation: Count | None = Field(
        default=None, description="The spec generation last reconciled."
    )
    modules_ready: Annotated[str, Field(max_length=16)] | None = Field(
        default=None, description="Ready modules out of enabled ones (3/4)."
    )
    conditions: Annotated[list[Condition], ListMap("type")] | None = Field(
        default=None, description="Latest observations of the object's state."
    )
    modules: dict[str, ModuleState] | None = Field(
        default=None, description="Per module, including disabled ones whose data is kept."
    )
    first_admin: Annotated[str, Field(max_length=32)] | None = Field(
        default=None, description="Created, Invited or Pending."
    )
    identity: IdentitySync | None = Field(
        default=None,
        description="What identity was last told about the tenant: drift ticks tell it "
        "again only when this changes or grows old.",
    )
    kopf: KopfState | None = Field(default=None, description=KOPF_DESCRIPTION)


class ObservedStatus(CamelModel):
    """Observed state."""

    observed_generation: Count | None = Field(default=None, description="Last generation seen.")
    kopf: KopfState | None = Field(default=None, description=KOPF_DESCRIPTION)
