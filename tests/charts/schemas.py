"""JSON schemas for kubeconform, made offline (kubeconform would fetch them from GitHub).

Built-in kinds come from the test API server's own OpenAPI document (the Kubernetes
version the project pins); custom kinds from CRD files (the project's manifests/crds
and the third-party CRDs in tests/charts/third_party_crds). Schemas are standalone
(every $ref local) and strict (no property a schema does not name), like the
`-standalone-strict` schemas kubeconform uses by default.

Files are laid out for kubeconform's `-schema-location`s in LOCATIONS: grouped kinds by
group, core kinds (no group) as `<kind>-<version>.json` (an empty group would leave `//`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

LOCATIONS = (
    "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json",
    "{{ .ResourceKind }}{{ .KindSuffix }}.json",
)

INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
QUANTITY = {"oneOf": [{"type": "string"}, {"type": "number"}]}
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
}


def schema_path(directory: Path, group: str, kind: str, version: str) -> Path:
    if not group:
        return directory / f"{kind.lower()}-{version}.json"
    return directory / group / f"{kind.lower()}_{version}.json"


def _strict(schema: Any) -> Any:
    """Forbids unknown properties wherever a schema lists its properties."""
    if not isinstance(schema, dict):
        return schema
    schema = dict(schema)
    for key in ("properties", "patternProperties", "definitions"):
        if isinstance(schema.get(key), dict):
            schema[key] = {name: _strict(sub) for name, sub in schema[key].items()}
    for key in ("items", "additionalProperties", "not", "additionalItems"):
        if isinstance(schema.get(key), dict):
            schema[key] = _strict(schema[key])
    for key in ("allOf", "anyOf", "oneOf", "items"):
        if isinstance(schema.get(key), list):
            schema[key] = [_strict(sub) for sub in schema[key]]
    preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in schema and "additionalProperties" not in schema and not preserve:
        schema["additionalProperties"] = False
    if schema.get("x-kubernetes-int-or-string") is True:
        schema.pop("type", None)
        schema.setdefault("anyOf", [{"type": "string"}, {"type": "integer"}])
    if schema.get("nullable") is True and isinstance(schema.get("type"), str):
        schema["type"] = [schema["type"], "null"]
    return schema


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            name = node["$ref"].rsplit("/", 1)[-1]
            return {"$ref": f"#/definitions/{name}"}
        return {key: _rewrite_refs(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite_refs(item) for item in node]
    return node


def _references(node: Any) -> Iterable[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item)


def write_builtin_schemas(
    openapi: dict[str, Any], directory: Path, kinds: set[tuple[str, str, str]]
) -> None:
    """Schemas for the (group, version, kind)s asked for, from an OpenAPI v2 document."""
    definitions = {
        name: SPECIAL.get(name, _strict(_rewrite_refs(definition)))
        for name, definition in openapi["definitions"].items()
    }
    for name, definition in openapi["definitions"].items():
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            key = (gvk["group"], gvk["version"], gvk["kind"])
            if key not in kinds:
                continue
            reachable: dict[str, Any] = {}
            pending = [name]
            while pending:
                current = pending.pop()
                if current in reachable:
                    continue
                reachable[current] = definitions[current]
                pending.extend(_references(definitions[current]))
            schema = copy.deepcopy(definitions[name])
            schema["definitions"] = reachable
            path = schema_path(directory, gvk["group"], gvk["kind"], gvk["version"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schema))


def write_crd_schemas(crd_files: Iterable[Path], directory: Path) -> list[tuple[str, str, str]]:
    """A schema per served version of every CRD in the files; returns what was written."""
    written = []
    for crd_file in crd_files:
        for crd in yaml.safe_load_all(crd_file.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            spec = crd["spec"]
            for version in spec["versions"]:
                schema = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
                properties = schema.setdefault("properties", {})
                properties.setdefault("apiVersion", {"type": "string"})
                properties.setdefault("kind", {"type": "string"})
                properties["metadata"] = {"type": "object"}
                schema.setdefault("additionalProperties", False)
                path = schema_path(directory, spec["group"], spec["names"]["kind"], version["name"])
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(schema))
                written.append((spec["group"], version["name"], spec["names"]["kind"]))
    return written
