"""What the three CRDs share: value shapes, module lists, limits, the CRD envelope."""

from __future__ import annotations

from typing import Any

from mosaico_shared.brazil import CNPJ_PATTERN, CPF_PATTERN
from mosaico_shared.contracts.tenants import MODULES

from mosaico_operator.crds.schema import (
    Schema,
    cel_list,
    integer,
    obj,
    rule,
    string,
    string_set,
)
from mosaico_operator.models import GROUP, VERSION

#: The shapes identity's contract accepts (check digits are the operator's to verify).
CNPJ_SHAPE = CNPJ_PATTERN
CPF_SHAPE = CPF_PATTERN
EMAIL_SHAPE = "^[^@ ]+@[^@ ]+[.][^@ ]+$"
PHONE_SHAPE = "^[+]?[0-9 ().-]{10,20}$"
PRICE_SHAPE = "^[0-9]{1,9}([.][0-9]{1,2})?$"
NAME_SHAPE = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"

KNOWN_MODULES = (
    f"self.all(m, m in {cel_list(MODULES)})",
    f"every module must be one of: {', '.join(MODULES)}",
)


def module_list(description: str, *, at_least_one: bool) -> Schema:
    rules = [rule(*KNOWN_MODULES)]
    if at_least_one:
        rules.insert(0, rule("size(self) >= 1", "enable at least one module"))
    return string_set(
        description,
        string("A module name.", max_length=32),
        max_items=len(MODULES),
        **{"x-kubernetes-validations": rules},
    )


def limits_schema(description: str) -> Schema:
    return obj(
        description,
        {
            "maxUsers": integer("Users in the tenant."),
            "maxProducts": integer("Products in the catalogue."),
            "maxTransactions": integer("Financial transactions per month."),
        },
    )


def custom_resource(
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
