"""What admission cannot check: check digits, and references to other objects."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from mosaico_shared.brazil import is_valid_cnpj, is_valid_cpf, normalize_phone
from mosaico_shared.contracts.tenants import FirstAdmin
from mosaico_shared.tenancy.names import is_tenant_slug
from pydantic import ValidationError

from mosaico_operator.models import FirstAdminSpec, PlanSpec, TenantSpec


@dataclass(frozen=True)
class Invalid:
    """Why a Tenant cannot be provisioned as written; ``reason`` is CamelCase."""

    reason: str
    message: str


def first_admin_contract(spec: FirstAdminSpec, password: str | None) -> FirstAdmin:
    """The body identity expects for the first admin."""
    return FirstAdmin(
        full_name=spec.full_name,
        cpf=spec.cpf,
        email=spec.email,
        whatsapp=spec.whatsapp,
        password=password,
    )


def validate_tenant(
    slug: str, spec: TenantSpec, plan: PlanSpec | None, modules: Collection[str]
) -> Invalid | None:
    """The first reason ``spec`` cannot be provisioned, or None when it can.

    ``plan`` is None when no Plan of that name exists; ``modules`` are the names of the
    Module objects that exist.
    """
    checks = (
        _documents(slug, spec),
        _plan(spec, plan),
        _modules(spec, plan, modules),
    )
    return next((problem for problem in checks if problem is not None), None)


def _documents(slug: str, spec: TenantSpec) -> Invalid | None:
    if not is_tenant_slug(slug):
        return Invalid(
            "InvalidName", f"{slug!r} is not a DNS-safe tenant name of up to 40 characters"
        )
    if not is_valid_cnpj(spec.cnpj):
        return Invalid("InvalidCNPJ", f"CNPJ {spec.cnpj} has wrong check digits")
    if not is_valid_cpf(spec.first_admin.cpf):
        return Invalid(
            "InvalidCPF", f"the first admin's CPF {spec.first_admin.cpf} has wrong check digits"
        )
    if spec.first_admin.whatsapp:
        try:
            normalize_phone(spec.first_admin.whatsapp)
        except ValueError as exc:
            return Invalid("InvalidWhatsApp", f"the first admin's WhatsApp number: {exc}")
    try:
        first_admin_contract(spec.first_admin, None)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return Invalid("InvalidFirstAdmin", f"the first admin is invalid: {problems}")
    return None


def _plan(spec: TenantSpec, plan: PlanSpec | None) -> Invalid | None:
    if plan is None:
        return Invalid("PlanNotFound", f"there is no Plan named {spec.plan!r}")
    return None


def _modules(spec: TenantSpec, plan: PlanSpec | None, modules: Collection[str]) -> Invalid | None:
    missing = [m for m in spec.enabled_modules() if m not in modules]
    if missing:
        return Invalid(
            "ModuleNotFound", f"no Module object for {', '.join(missing)}: is the module installed?"
        )
    if plan is not None:
        refused = [m for m in spec.enabled_modules() if not plan.allows(m)]
        if refused:
            return Invalid(
                "ModuleNotAllowed",
                f"plan {spec.plan!r} does not include {', '.join(refused)} "
                f"(it allows {', '.join(plan.modules)})",
            )
    return None
