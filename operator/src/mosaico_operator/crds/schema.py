"""Small builders for structural OpenAPI schemas with CEL rules."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def rule(expression: str, message: str, **extra: str) -> dict[str, str]:
    """One ``x-kubernetes-validations`` entry."""
    return {"rule": expression, "message": message, **extra}


def string(
    description: str,
    *,
    max_length: int,
    min_length: int | None = None,
    rules: list[dict[str, str]] | None = None,
    **extra: Any,
) -> Schema:
    schema: Schema = {"type": "string", "description": description, "maxLength": max_length}
    if min_length is not None:
        schema["minLength"] = min_length
    if rules:
        schema["x-kubernetes-validations"] = rules
    return schema | extra


def integer(description: str, *, minimum: int = 0) -> Schema:
    return {"type": "integer", "format": "int64", "minimum": minimum, "description": description}


def obj(
    description: str,
    properties: dict[str, Schema],
    *,
    required: list[str] | None = None,
    rules: list[dict[str, str]] | None = None,
) -> Schema:
    schema: Schema = {"type": "object", "description": description, "properties": properties}
    if required:
        schema["required"] = required
    if rules:
        schema["x-kubernetes-validations"] = rules
    return schema


def string_set(description: str, item: Schema, *, max_items: int, **extra: Any) -> Schema:
    return {
        "type": "array",
        "description": description,
        "items": item,
        "maxItems": max_items,
        "x-kubernetes-list-type": "set",
    } | extra


def cel_list(values: tuple[str, ...] | list[str]) -> str:
    """A CEL list literal of strings: ``['a', 'b']``."""
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def secret_key_ref(description: str) -> Schema:
    return obj(
        description,
        {
            "name": string("Secret name.", max_length=253, min_length=1),
            "namespace": string("Secret namespace.", max_length=63, min_length=1),
            "key": string("Key inside the Secret.", max_length=253, min_length=1),
        },
        required=["name", "namespace", "key"],
    )


def condition_list() -> Schema:
    condition = obj(
        "A condition in the Kubernetes convention.",
        {
            "type": string("Ready, DatabasesReady, ModulesReady, ...", max_length=64),
            "status": {"type": "string", "enum": ["True", "False", "Unknown"]},
            "reason": string("CamelCase reason.", max_length=128),
            "message": string("What a person should know.", max_length=4096),
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "observedGeneration": integer("Generation the condition describes."),
        },
        required=["type", "status"],
    )
    return {
        "type": "array",
        "description": "Latest observations of the object's state.",
        "items": condition,
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["type"],
    }


def kopf_state() -> Schema:
    """Room for Kopf's own bookkeeping, should it write any into status."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
