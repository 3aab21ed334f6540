"""The Tenant CRD: what a tenant has, and what the operator reports about it (both
shaped by :mod:`mosaico_operator.models`)."""

from __future__ import annotations

from typing import Any

from mosaico_shared.tenancy.names import TENANT_SLUG_MAX, TENANT_SLUG_PATTERN

from mosaico_operator.crds.common import custom_resource, rule
from mosaico_operator.crds.openapi import crd_schema
from mosaico_operator.models import TenantSpec, TenantStatus


def tenant_crd() -> dict[str, Any]:
    return custom_resource(
        "Tenant",
        "tenants",
        "tn",
        spec=crd_schema(TenantSpec),
        status=crd_schema(TenantStatus),
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
