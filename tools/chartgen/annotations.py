"""The `## @param` annotations of a values file (Bitnami's readme-generator format) and
the `## @schema` / `## @extra` lines this project adds beside them.

    ## @param <path> [modifier]... <description>
    ## @extra <path> [modifier]... <description>    (a value not in the file's defaults)
    ## @schema <path> {<JSON Schema keywords>}

Modifiers: [own] (a module chart's own value, see values.py), [object] and [array] (a
value whose contents are not described further).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

PARAM = re.compile(r"^\s*## @(param|extra) (\S+)((?: \[\w+\])*) ?(.*)$")
SCHEMA = re.compile(r"^\s*## @schema (\S+) (\{.*\})\s*$")
MODIFIERS = {"own", "object", "array"}


@dataclass
class Param:
    path: str
    description: str
    modifiers: set[str] = field(default_factory=set)
    extra: bool = False
    schema: dict[str, Any] = field(default_factory=dict)

    @property
    def opaque(self) -> bool:
        return bool(self.modifiers & {"object", "array"})


class AnnotationError(ValueError):
    """A values file whose annotations are wrong, with the line that is."""


def parse(text: str, source: str) -> dict[str, Param]:
    params: dict[str, Param] = {}
    schemas: list[tuple[int, str, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if match := PARAM.match(line):
            kind, path, modifiers, description = match.groups()
            names = set(re.findall(r"\[(\w+)\]", modifiers))
            if names - MODIFIERS:
                raise AnnotationError(f"{source}:{number}: unknown modifier {names - MODIFIERS}")
            if path in params:
                raise AnnotationError(f"{source}:{number}: {path} is documented twice")
            params[path] = Param(path, description.strip(), names, extra=kind == "extra")
        elif match := SCHEMA.match(line):
            try:
                keywords = json.loads(match.group(2))
            except json.JSONDecodeError as error:
                raise AnnotationError(f"{source}:{number}: {error}") from None
            schemas.append((number, match.group(1), keywords))
        elif line.lstrip().startswith("## @") and not line.lstrip().startswith("## @section"):
            raise AnnotationError(f"{source}:{number}: cannot read {line.strip()!r}")
    for number, path, keywords in schemas:
        if path not in params:
            raise AnnotationError(f"{source}:{number}: @schema for {path}, which has no @param")
        params[path].schema = keywords
    return params
