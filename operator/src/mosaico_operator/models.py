"""The specs of Tenant, Plan and Module objects, as the operator reads them.

Admission (the CRDs' OpenAPI schemas and CEL rules) has already checked shapes; these
models give the operator typed access. Check digits and cross-object references are
checked in :mod:`mosaico_operator.validation`, where a failure can be explained.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from mosaico_shared.contracts.tenants import PlanLimits
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GROUP = "mosaico.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
TENANTS, PLANS, MODULES_PLURAL = "tenants", "plans", "modules"

DeletionPolicy = Literal["Retain", "Delete"]


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class SecretKeyRef(CamelModel):
    """One key of a Secret."""

    name: str
    namespace: str
    key: str


class Limits(CamelModel):
    """Plan limits, or a tenant's overrides of them; absent means unlimited / inherited."""

    max_users: int | None = Field(default=None, ge=0)
    max_products: int | None = Field(default=None, ge=0)
    max_transactions: int | None = Field(default=None, ge=0)


class FirstAdminSpec(CamelModel):
    full_name: str
    cpf: str
    email: str
    whatsapp: str | None = None
    #: The initial password; without it identity issues an invite instead.
    password_secret_ref: SecretKeyRef | None = None


class TenantSpec(CamelModel):
    display_name: str
    cnpj: str
    plan: str
    modules: list[str]
    first_admin: FirstAdminSpec
    limits: Limits = Limits()
    suspended: bool = False
    deletion_policy: DeletionPolicy = "Retain"

    def enabled_modules(self) -> list[str]:
        """identity first (every tenant has it: nobody logs in without it), then the rest."""
        return ["identity", *sorted(set(self.modules) - {"identity"})]


class PlanSpec(CamelModel):
    display_name: str
    price: Decimal
    billing_cycle: Literal["monthly", "yearly"]
    limits: Limits = Limits()
    modules: list[str]
    features: list[str] = []

    def allows(self, module: str) -> bool:
        return module == "identity" or module in self.modules


class ModuleDatabase(CamelModel):
    admin_secret_ref: SecretKeyRef
    #: The module's application role, owner of every tenant database of the module.
    owner: str


class ModuleSpec(CamelModel):
    database: ModuleDatabase
    service_url: str
    onboarding_path: str = "/{module}/internal/tenants/{tenant}/onboard"
    version: str


def effective_limits(plan: Limits, overrides: Limits) -> PlanLimits:
    """The plan's limits with the tenant's overrides applied field by field."""
    merged = plan.model_dump() | overrides.model_dump(exclude_none=True)
    return PlanLimits.model_validate(merged)
