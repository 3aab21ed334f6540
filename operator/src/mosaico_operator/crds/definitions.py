"""Tenant, Plan and Module: group ``mosaico.dev``, version ``v1alpha1``, cluster-scoped."""

from __future__ import annotations

from typing import Any

import yaml
from mosaico_shared.contracts.tenants import MODULES
from mosaico_shared.tenancy.names import TENANT_SLUG_MAX, TENANT_SLUG_PATTERN

from mosaico_operator.crds.schema import (
    Schema,
    cel_list,
    condition_list,
    integer,
    kopf_state,
    obj,
    rule,
    secret_key_ref,
    string,
    string_set,
)
from mosaico_operator.models import GROUP, VERSION

CNPJ_SHAPE = "^[0-9]{2}[.]?[0-9]{3}[.]?[0-9]{3}/?[0-9]{4}-?[0-9]{2}$"
CPF_SHAPE = "^[0-9]{3}[.]?[0-9]{3}[.]?[0-9]{3}-?[0-9]{2}$"
EMAIL_SHAPE = "^[^@ ]+@[^@ ]+[.][^@ ]+$"
PHONE_SHAPE = "^[+]?[0-9 ().-]{10,20}$"
PRICE_SHAPE = "^[0-9]{1,9}([.][0-9]{1,2})?$"
NAME_SHAPE = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

KNOWN_MODULES = (
    f"self.all(m, m in {cel_list(MODULES)})",
    f"every module must be one of: {', '.join(MODULES)}",
)


def _module_list(description: str, *, at_least_one: bool) -> Schema:
    rules = [rule(*KNOWN_MODULES)]
    if at_least_one:
        rules.insert(0, rule("size(self) >= 1", "enable at least one module"))
    return string_set(
        description,
        string("A module name.", max_length=32),
        max_items=len(MODULES),
        **{"x-kubernetes-validations": rules},
    )


def _limits(description: str) -> Schema:
    return obj(
        description,
        {
            "maxUsers": integer("Users in the tenant."),
            "maxProducts": integer("Products in the catalogue."),
            "maxTransactions": integer("Financial transactions per month."),
        },
    )


def _crd(
    kind: str,
    plural: str,
    short_name: str,
    *,
    spec: Schema,
    status: Schema,
    columns: list[dict[str, Any]],
    root_rules: list[dict[str, str]],
) -> dict[str, Any]:
    root: Schema = {
        "type": "object",
        "required": ["spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec,
            "status": status,
        },
        "x-kubernetes-validations": root_rules,
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": [short_name],
                "categories": ["mosaico"],
            },
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [
                        *columns,
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                    "schema": {"openAPIV3Schema": root},
                }
            ],
        },
    }


def tenant_crd() -> dict[str, Any]:
    first_admin = obj(
        "The tenant's first administrator, created once.",
        {
            "fullName": string("Full name.", max_length=100, min_length=1),
            "cpf": string(
                "CPF, with or without punctuation (check digits are verified by the operator).",
                max_length=14,
                rules=[
                    rule(f"self.matches('{CPF_SHAPE}')", "cpf must be 11 digits (529.982.247-25)")
                ],
            ),
            "email": string(
                "E-mail.",
                max_length=254,
                rules=[rule(f"self.matches('{EMAIL_SHAPE}')", "email must look like a@b.c")],
            ),
            "whatsapp": string(
                "WhatsApp number (+55 11 98765-4321).",
                max_length=20,
                rules=[rule(f"self.matches('{PHONE_SHAPE}')", "whatsapp must be a phone number")],
            ),
            "passwordSecretRef": secret_key_ref(
                "Initial password; without it identity issues an invite, which the operator "
                "stores in a Secret in its namespace."
            ),
        },
        required=["fullName", "cpf", "email"],
    )
    spec = obj(
        "What the tenant has.",
        {
            "displayName": string("Trade name.", max_length=200, min_length=1),
            "cnpj": string(
                "CNPJ, with or without punctuation (check digits are verified by the operator).",
                max_length=18,
                rules=[
                    rule(
                        f"self.matches('{CNPJ_SHAPE}')",
                        "cnpj must be 14 digits (11.222.333/0001-81)",
                    )
                ],
            ),
            "plan": string(
                "Name of a Plan object.",
                max_length=63,
                rules=[rule(f"self.matches('{NAME_SHAPE}')", "plan must be a Plan object's name")],
            ),
            "modules": _module_list(
                "Enabled modules (identity is always enabled).", at_least_one=True
            ),
            "firstAdmin": first_admin,
            "limits": _limits("Overrides of the plan's limits, field by field."),
            "suspended": {
                "type": "boolean",
                "default": False,
                "description": "Every module answers 403 for a suspended tenant.",
            },
            "deletionPolicy": {
                "type": "string",
                "default": "Retain",
                "description": "Retain keeps the databases; Delete dumps them, then drops them.",
                "x-kubernetes-validations": [
                    rule("self in ['Retain', 'Delete']", "deletionPolicy must be Retain or Delete")
                ],
            },
        },
        required=["displayName", "cnpj", "plan", "modules", "firstAdmin"],
    )
    module_state = obj(
        "One module of the tenant.",
        {
            "state": string("Pending, Ready, Waiting, Failed or Disabled.", max_length=32),
            "database": string("The tenant's database in this module.", max_length=63),
            "schemaVersion": string("Migration revision the database is at.", max_length=64),
            "moduleVersion": string("The Module's version when it was onboarded.", max_length=64),
            "message": string("Why, when not Ready.", max_length=4096),
        },
    )
    status = obj(
        "What the operator observed and did.",
        {
            "phase": string(
                "Pending, Provisioning, Ready, Suspended, Failed or Deleting.", max_length=32
            ),
            "observedGeneration": integer("The spec generation last reconciled."),
            "modulesReady": string("Ready modules out of enabled ones (3/4).", max_length=16),
            "conditions": condition_list(),
            "modules": {
                "type": "object",
                "description": "Per module, including disabled ones whose data is kept.",
                "additionalProperties": module_state,
            },
            "firstAdmin": string("Created, Invited or Pending.", max_length=32),
            "kopf": kopf_state(),
        },
    )
    return _crd(
        "Tenant",
        "tenants",
        "tn",
        spec=spec,
        status=status,
        columns=[
            {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
            {"name": "Plan", "type": "string", "jsonPath": ".spec.plan"},
            {"name": "Modules", "type": "string", "jsonPath": ".status.modulesReady"},
            {
                "name": "Ready",
                "type": "string",
                "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
            },
            {"name": "Suspended", "type": "boolean", "jsonPath": ".spec.suspended", "priority": 1},
        ],
        root_rules=[
            rule(
                f"size(self.metadata.name) <= {TENANT_SLUG_MAX}",
                f"a tenant name has at most {TENANT_SLUG_MAX} characters",
            ),
            rule(
                f"self.metadata.name.matches('{TENANT_SLUG_PATTERN}')",
                "a tenant name is lowercase letters, digits and hyphens (DNS-safe), "
                "starting and ending with a letter or digit",
            ),
        ],
    )


def plan_crd() -> dict[str, Any]:
    spec = obj(
        "What a plan costs and allows.",
        {
            "displayName": string("Lojista, Empresa, Corporativo...", max_length=100, min_length=1),
            "price": string(
                'Price in BRL as a decimal string ("199.90").',
                max_length=13,
                rules=[
                    rule(f"self.matches('{PRICE_SHAPE}')", "price must be a decimal like 199.90")
                ],
            ),
            "billingCycle": {
                "type": "string",
                "enum": ["monthly", "yearly"],
                "description": "monthly or yearly.",
            },
            "limits": _limits("Limits; an absent field is unlimited."),
            "modules": _module_list("Modules a tenant on this plan may enable.", at_least_one=True),
            "features": string_set(
                "Feature flags.", string("A feature flag.", max_length=64), max_items=64
            ),
        },
        required=["displayName", "price", "billingCycle", "modules"],
    )
    status = obj(
        "Observed state.",
        {"observedGeneration": integer("Last generation seen."), "kopf": kopf_state()},
    )
    return _crd(
        "Plan",
        "plans",
        "pl",
        spec=spec,
        status=status,
        columns=[
            {"name": "Display", "type": "string", "jsonPath": ".spec.displayName"},
            {"name": "Price", "type": "string", "jsonPath": ".spec.price"},
            {"name": "Cycle", "type": "string", "jsonPath": ".spec.billingCycle"},
            {"name": "Modules", "type": "string", "jsonPath": ".spec.modules"},
        ],
        root_rules=[
            rule(
                f"self.metadata.name.matches('{NAME_SHAPE}')",
                "a plan name is lowercase letters, digits and hyphens",
            )
        ],
    )


def module_crd() -> dict[str, Any]:
    spec = obj(
        "Where a module lives and where its databases are; rendered by the module's chart.",
        {
            "database": obj(
                "The module's PostgreSQL server.",
                {
                    "adminSecretRef": secret_key_ref(
                        "A Secret key holding an admin DSN (may CREATE/DROP DATABASE)."
                    ),
                    "owner": string(
                        "The module's application role; owns each tenant database.",
                        max_length=63,
                        min_length=1,
                    ),
                },
                required=["adminSecretRef", "owner"],
            ),
            "serviceUrl": string(
                "Base URL of the module's Service (http://crm.mosaico.svc:8000).",
                max_length=512,
                rules=[
                    rule(
                        "isURL(self) && self.matches('^https?://')",
                        "serviceUrl must be an http(s) URL",
                    )
                ],
            ),
            "onboardingPath": string(
                "Path of the onboarding endpoint; {module} and {tenant} are filled in.",
                max_length=256,
                rules=[
                    rule(
                        "self.startsWith('/') && self.contains('{tenant}')",
                        "onboardingPath starts with / and contains {tenant}",
                    )
                ],
                default="/{module}/internal/tenants/{tenant}/onboard",
            ),
            "version": string(
                "The module's version (its chart's appVersion).", max_length=64, min_length=1
            ),
        },
        required=["database", "serviceUrl", "version"],
    )
    status = obj(
        "Observed state.",
        {"observedGeneration": integer("Last generation seen."), "kopf": kopf_state()},
    )
    return _crd(
        "Module",
        "modules",
        "mod",
        spec=spec,
        status=status,
        columns=[
            {"name": "Version", "type": "string", "jsonPath": ".spec.version"},
            {"name": "URL", "type": "string", "jsonPath": ".spec.serviceUrl"},
        ],
        root_rules=[
            rule(
                f"self.metadata.name in {cel_list(MODULES)}",
                f"a Module is named after a known module: {', '.join(MODULES)}",
            )
        ],
    )


def kopf_peering_crd() -> dict[str, Any]:
    """Kopf's own ClusterKopfPeering, needed when replicas run with peering."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusterkopfpeerings.kopf.dev"},
        "spec": {
            "group": "kopf.dev",
            "scope": "Cluster",
            "names": {
                "kind": "ClusterKopfPeering",
                "plural": "clusterkopfpeerings",
                "singular": "clusterkopfpeering",
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "status": {
                                    "type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True,
                                }
                            },
                        }
                    },
                }
            ],
        },
    }


def all_definitions() -> dict[str, dict[str, Any]]:
    """File name under ``manifests/crds/`` -> the CRD it holds."""
    crds = [tenant_crd(), plan_crd(), module_crd(), kopf_peering_crd()]
    return {f"{crd['metadata']['name']}.yaml": crd for crd in crds}


HEADER = (
    "# Generated by `python -m mosaico_operator.crds`; edit operator/src/mosaico_operator/crds/.\n"
)


def render(crd: dict[str, Any]) -> str:
    """The YAML text of one CRD, as written to ``manifests/crds/``."""
    return HEADER + yaml.safe_dump(crd, sort_keys=False, width=100, allow_unicode=True)
