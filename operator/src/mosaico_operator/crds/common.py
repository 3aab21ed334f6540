"""What the three CRDs share: the CRD envelope, and root rules on the object's name."""

from __future__ import annotations

from typing import Any

from mosaico_operator.crds.openapi import Schema
from mosaico_operator.models import GROUP, VERSION


def rule(expression: str, message: str) -> dict[str, str]:
    """One ``x-kubernetes-validations`` entry of a CRD's root (the object's name: the
    models shape only spec and status)."""
    return {"rule": expression, "message": message}


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
