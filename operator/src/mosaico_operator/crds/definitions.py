"""Tenant, Plan and Module: group ``mosaico.dev``, version ``v1alpha1``, cluster-scoped."""

from __future__ import annotations

from typing import Any

import yaml
from mosaico_shared.contracts.tenants import MODULES

from mosaico_operator.crds.common import (
    NAME_SHAPE,
    PRICE_SHAPE,
    custom_resource,
    limits_schema,
    module_list,
)
from mosaico_operator.crds.schema import (
    cel_list,
    integer,
    kopf_state,
    obj,
    rule,
    secret_key_ref,
    string,
    string_set,
)
from mosaico_operator.crds.tenant import tenant_crd
from mosaico_operator.service_urls import IN_CLUSTER_URL


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
            "limits": limits_schema("Limits; an absent field is unlimited."),
            "modules": module_list("Modules a tenant on this plan may enable.", at_least_one=True),
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
    return custom_resource(
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
                "Base URL of the module's Service inside the cluster "
                "(http://crm.mosaico.svc:8000); the operator sends its credential there.",
                max_length=512,
                rules=[
                    rule(
                        f"self.matches('{IN_CLUSTER_URL}')",
                        "serviceUrl must be a Service inside the cluster: "
                        "http(s)://<name>.<namespace>.svc[.cluster.local][:port]",
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
    return custom_resource(
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
