"""The Tenant CRD: what a tenant has, and what the operator reports about it."""

from __future__ import annotations

from typing import Any

from mosaico_shared.tenancy.names import TENANT_SLUG_MAX, TENANT_SLUG_PATTERN

from mosaico_operator.crds.common import (
    CNPJ_SHAPE,
    CPF_SHAPE,
    EMAIL_SHAPE,
    NAME_SHAPE,
    PHONE_SHAPE,
    custom_resource,
    limits_schema,
    module_list,
)
from mosaico_operator.crds.schema import (
    condition_list,
    integer,
    kopf_state,
    obj,
    rule,
    secret_key_ref,
    string,
)


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
                "CNPJ, numeric or alphanumeric, with or without punctuation (check digits "
                "are verified by the operator).",
                max_length=18,
                rules=[
                    rule(
                        f"self.matches('{CNPJ_SHAPE}')",
                        "cnpj must be 12 digits or letters and 2 check digits "
                        "(11.222.333/0001-81, 12.ABC.345/01DE-35)",
                    )
                ],
            ),
            "plan": string(
                "Name of a Plan object.",
                max_length=63,
                rules=[rule(f"self.matches('{NAME_SHAPE}')", "plan must be a Plan object's name")],
            ),
            "modules": module_list(
                "Enabled modules (identity is always enabled).", at_least_one=True
            ),
            "firstAdmin": first_admin,
            "limits": limits_schema("Overrides of the plan's limits, field by field."),
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
    return custom_resource(
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
