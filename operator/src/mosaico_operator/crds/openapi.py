"""A model's JSON Schema (pydantic's) made into a CRD's structural OpenAPI schema.

Structural means no ``$ref``, no ``anyOf`` and a type on every node: references are
inlined, an optional field (``X | None``) becomes ``X`` (absent, not null), titles go.
Anything else this does not know is refused rather than dropped, so a constraint added to
a model is either in the CRD or the generation fails.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mosaico_operator.admission import CEL_RULES

Schema = dict[str, Any]

#: The keywords a CRD schema takes from a model, in the order the YAML shows them.
KEYWORDS = (
    "type",
    "format",
    "description",
    "enum",
    "default",
    "minimum",
    "maxLength",
    "minLength",
    "items",
    "maxItems",
    "properties",
    "required",
    "additionalProperties",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-preserve-unknown-fields",
    CEL_RULES,
)
NULL = {"type": "null"}


def crd_schema(model: type[BaseModel]) -> Schema:
    """The structural schema of ``model``, by its camelCase names."""
    document = model.model_json_schema(by_alias=True, mode="validation")
    definitions = document.pop("$defs", {})
    return _structural(document, definitions, where=model.__name__)


def _structural(node: Schema, definitions: dict[str, Schema], *, where: str) -> Schema:
    node = dict(node)
    node.pop("title", None)
    if "$ref" in node:
        target = definitions[node.pop("$ref").rsplit("/", 1)[1]]
        # The field's own keywords (its description) win over the model's.
        return _structural({**target, **node}, definitions, where=where)
    if "anyOf" in node:
        choices = [choice for choice in node.pop("anyOf") if choice != NULL]
        if len(choices) != 1:
            raise ValueError(f"{where}: a CRD field has one type, not {choices}")
        if "default" in node and node["default"] is None:
            del node["default"]  # absent is how a CRD says None
        return _structural({**choices[0], **node}, definitions, where=where)
    unknown = set(node) - set(KEYWORDS)
    if unknown:
        raise ValueError(f"{where}: no CRD schema keyword for {sorted(unknown)}")
    if "properties" in node:
        node["properties"] = {
            name: _structural(field, definitions, where=f"{where}.{name}")
            for name, field in node["properties"].items()
        }
    if "items" in node:
        node["items"] = _structural(node["items"], definitions, where=f"{where}[]")
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _structural(
            node["additionalProperties"], definitions, where=f"{where}{{}}"
        )
    if CEL_RULES in node:
        node[CEL_RULES] = [{"rule": r["rule"], "message": r["message"]} for r in node[CEL_RULES]]
    if node.get("type") == "integer":
        node.setdefault("format", "int64")
    return {keyword: node[keyword] for keyword in KEYWORDS if keyword in node}
