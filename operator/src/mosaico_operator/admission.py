"""The rules admission checks, declared once, on the models.

Each :class:`Rule` is one ``x-kubernetes-validations`` entry of a CRD (the API server
evaluates its CEL expression) and the same check in Python (the operator, and ``make
tenant``, evaluate it when they read a spec). The CRDs' OpenAPI schemas are generated
from the models (:mod:`mosaico_operator.crds.openapi`), so a Tenant the API server admits
is one the operator can read, and the other way round.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

#: Where a CRD schema lists its CEL rules.
CEL_RULES = "x-kubernetes-validations"


@dataclass(frozen=True)
class Rule:
    """A CEL rule and ``check``, the same rule in Python (True when the value passes)."""

    cel: str
    message: str
    check: Callable[[Any], bool] = field(compare=False)

    def refuse(self, value: Any) -> Any:
        if not self.check(value):
            raise PydanticCustomError("admission_rule", self.message)
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.refuse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.setdefault(CEL_RULES, []).append({"rule": self.cel, "message": self.message})
        return json_schema


def whole_number(value: Any) -> Any:
    """JSON has numbers, not integers: the API server admits ``5.0`` for an integer field
    (and stores 5), so the model takes it too; ``5.5`` stays refused by both."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def matches(pattern: str, message: str) -> Rule:
    """``self.matches(pattern)``. CEL's ``matches`` finds the pattern anywhere, so every
    pattern is anchored at both ends; Python's ``fullmatch`` then agrees with it (a
    trailing newline included, which ``$`` alone would let through in Python)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"an admission pattern is anchored at both ends: {pattern!r}")
    compiled = re.compile(pattern)
    return Rule(
        f"self.matches('{pattern}')",
        message,
        lambda value: compiled.fullmatch(value) is not None,
    )


def cel_list(values: Sequence[str]) -> str:
    """A CEL list literal of strings: ``['a', 'b']``."""
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def one_of(values: Sequence[str], message: str) -> Rule:
    """Every item of a list is one of ``values``."""
    return Rule(
        f"self.all(m, m in {cel_list(values)})",
        message,
        lambda items: all(item in values for item in items),
    )


def at_least_one(message: str) -> Rule:
    return Rule("size(self) >= 1", message, lambda items: len(items) >= 1)


@dataclass(frozen=True)
class ListSet:
    """``x-kubernetes-list-type: set``: the API server refuses a repeated item, and so
    does the model."""

    def refuse(self, items: list[Any]) -> list[Any]:
        if len(set(items)) != len(items):
            raise PydanticCustomError("list_set", "an item is repeated")
        return items

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.refuse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema) | {"x-kubernetes-list-type": "set"}


@dataclass(frozen=True)
class ListMap:
    """``x-kubernetes-list-type: map`` keyed by ``key``: one item per key (conditions,
    one per type), for the API server and the model."""

    key: str

    def refuse(self, items: list[Any]) -> list[Any]:
        keys = [getattr(item, self.key) for item in items]
        if len(set(keys)) != len(keys):
            raise PydanticCustomError(
                "list_map", "two items have the same {key}", {"key": self.key}
            )
        return items

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.refuse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema) | {
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": [self.key],
        }


#: RFC 3339, as ``format: date-time`` is checked by the API server (``2026-12-03T05:50:00Z``).
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


@dataclass(frozen=True)
class DateTime:
    """A timestamp kept as the string it was written as (``format: date-time``)."""

    def refuse(self, value: str) -> str:
        valid = _DATE_TIME.fullmatch(value) is not None
        if valid:
            try:
                datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            except ValueError:
                valid = False
        if not valid:
            raise PydanticCustomError("date_time", "an RFC 3339 date-time (2026-12-03T05:50:00Z)")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.refuse, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(schema) | {"format": "date-time"}


@dataclass(frozen=True)
class DecimalText:
    """A decimal written as a string (``"199.90"``), as the CRD stores it: JSON numbers
    are refused (YAML's ``199.90`` is a float, which would lose the cents' meaning);
    Python code may pass a ``Decimal``."""

    max_length: int
    rule: Rule

    def parse(self, value: Any) -> Decimal:
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str):
            raise PydanticCustomError("decimal_text", "a decimal is written as a string")
        if len(value) > self.max_length:
            raise PydanticCustomError(
                "decimal_text", "at most {max} characters", {"max": self.max_length}
            )
        return Decimal(self.rule.refuse(value))

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(self.parse)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "maxLength": self.max_length,
            CEL_RULES: [{"rule": self.rule.cel, "message": self.rule.message}],
        }


@dataclass(frozen=True)
class Opaque:
    """An object whose fields the API server keeps as written (Kopf's own bookkeeping)."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
