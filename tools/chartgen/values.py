"""values.schema.json from an annotated values file, and each module chart's values.yaml
from the one source every module shares (charts/mosaico-lib/module-values.yaml).

A module chart's values.yaml is the source with the module's own values ([own]) put in:
its current values for them (and the `# ` comments above them), or, for a new chart,
its directory name as `module` and mosaico/<module> as the image repository.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml

from tools.chartgen.annotations import AnnotationError, Param, parse

KEY = re.compile(r"^(\s*)([A-Za-z0-9_.-]+):(\s.*|)$")
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _inferred(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {"type": "object"}
    if isinstance(value, list):
        items = {_inferred(v)["type"] for v in value if not isinstance(v, dict | list)}
        return {"type": "array", **({"items": {"type": items.pop()}} if len(items) == 1 else {})}
    if value is None:
        return {}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"type": "integer", "minimum": 0}  # counts, ports, seconds
    return {"type": JSON_TYPES[type(value)]}


def _schema_of(value: Any, path: str, params: dict[str, Param], source: str) -> dict[str, Any]:
    param = params.get(path)
    if param is None:
        raise AnnotationError(f"{source}: {path} has no ## @param line")
    schema = _inferred(value)
    if isinstance(value, dict) and not param.opaque:
        schema["properties"] = _properties(value, path, params, source)
        schema["additionalProperties"] = False
    schema = merge(schema, param.schema)
    if param.description:
        schema["description"] = param.description
    return schema


def _properties(
    values: dict[str, Any], prefix: str, params: dict[str, Param], source: str
) -> dict[str, Any]:
    properties = {}
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else key
        documented_below = any(name.startswith(f"{path}.") for name in params)
        if path not in params and isinstance(value, dict) and documented_below:
            # A map documented through its children (image.registry, image.tag, ...).
            params = {**params, path: Param(path, "")}
        properties[key] = _schema_of(value, path, params, source)
    for param in params.values():
        parent, _, name = param.path.rpartition(".")
        if param.extra and parent == prefix:
            properties[name] = merge(
                {"type": "object"} if "object" in param.modifiers else {}, param.schema
            ) | {"description": param.description}
    return properties


def schema(values_text: str, source: str, title: str) -> dict[str, Any]:
    """The JSON Schema of a values file: types from the defaults, descriptions and extra
    keywords from its annotations; every value must be documented."""
    params = parse(values_text, source)
    defaults = yaml.safe_load(values_text) or {}
    for path in params:
        if not params[path].extra and _lookup(defaults, path) is _MISSING:
            raise AnnotationError(f"{source}: @param {path} names no value")
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "type": "object",
        "properties": _properties(defaults, "", params, source),
        "additionalProperties": False,
    }


_MISSING = object()


def _lookup(values: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(values, dict) or part not in values:
            return _MISSING
        values = values[part]
    return values


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...")


def _key_lines(lines: list[str]) -> dict[str, int]:
    """The line of each key, by dotted path (block mappings only)."""
    found: dict[str, int] = {}
    stack: list[tuple[int, str]] = []
    for number, line in enumerate(lines):
        match = KEY.match(line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        found[".".join(key for _, key in stack)] = number
    return found


def _comments_above(lines: list[str], number: int) -> list[str]:
    """The plain `# ` comment lines right above a line (not `## ` annotations)."""
    start = number
    while start > 0 and re.match(r"^\s*# ", lines[start - 1]):
        start -= 1
    return lines[start:number]


def module_values(source_text: str, chart: Path) -> str:
    """The module chart's values.yaml: the source with the module's own values."""
    params = parse(source_text, "module-values.yaml")
    own = [p.path for p in params.values() if "own" in p.modifiers]
    current_path = chart / "values.yaml"
    current_text = current_path.read_text() if current_path.exists() else ""
    current = yaml.safe_load(current_text) or {}
    current_lines = current_text.splitlines()
    current_keys = _key_lines(current_lines)
    fallback = {"module": chart.name, "image.repository": f"mosaico/{chart.name}"}

    body = source_text.split("\n\n", 1)[1].splitlines()
    keys = _key_lines(body)
    overrides: dict[str, Any] = {}
    inserts: dict[int, list[str]] = {}
    for path in own:
        if path not in keys:
            raise AnnotationError(
                f"module-values.yaml: [own] {path} is not a value of its own line"
            )
        value = _lookup(current, path)
        if value is _MISSING:
            value = fallback.get(path, _lookup(yaml.safe_load(source_text), path))
        number = keys[path]
        indent, key = KEY.match(body[number]).group(1, 2)  # type: ignore[union-attr]
        body[number] = f"{indent}{key}: {_flow(value)}"
        if path in current_keys:
            inserts[number] = _comments_above(current_lines, current_keys[path])
        overrides = merge(overrides, _nested(path, value))
    for number in sorted(inserts, reverse=True):
        body[number:number] = inserts[number]
    module = overrides.get("module", chart.name)
    header = [
        f"# Values of the Mosaico {module} module chart (`helm show values` prints them).",
        "# Generated by `make charts` from charts/mosaico-lib/module-values.yaml, where every",
        "# module's defaults are kept: change them there. Values marked [own] are this",
        "# module's, and `make charts` keeps what this file sets for them.",
        "",
    ]
    text = "\n".join([*header, *body]) + "\n"
    expected = merge(yaml.safe_load(source_text), overrides)
    if yaml.safe_load(text) != expected:
        raise AnnotationError(f"{chart}/values.yaml would not hold the values it should")
    return text


def _nested(path: str, value: Any) -> dict[str, Any]:
    for part in reversed(path.split(".")):
        value = {part: value}
    return value  # type: ignore[no-any-return]


def schema_text(schema_: dict[str, Any]) -> str:
    return json.dumps(schema_, indent=2) + "\n"
