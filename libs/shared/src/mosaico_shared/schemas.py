"""The base of every request body the services accept, and strict query parameters.

Pydantic's lax mode reads ``0`` as ``false``, ``"2"`` as ``2``, ``2.0`` as an integer and
``0`` (or ``"0"``) as the date 1970-01-01. In a request body that is a client's mistake
made silently into data, so :class:`RequestBody` makes every boolean, integer, float,
date and datetime field of its subclasses strict, without each module having to
remember: booleans are ``true``/``false``, integers are JSON integers, dates and
datetimes are ISO 8601 strings. Query parameters are always text; use
:data:`QueryDate`, :data:`QueryDatetime` and :data:`QueryBool` there.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Strict, model_validator
from pydantic.json_schema import JsonSchemaValue

#: For query parameters: PostgreSQL text cannot hold NUL characters.
NO_NUL = r"^[^\x00]*$"

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = re.compile(DATE_PATTERN)
# A calendar date, "T" (or a space), a time; seconds, fraction and offset as ISO allows.
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?.*")


def iso_date(value: object) -> object:
    """Let through a ``date`` or a ``YYYY-MM-DD`` string; refuse numbers, timestamps
    and anything else lax parsing would turn into a date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise ValueError("a date is written YYYY-MM-DD")


def iso_datetime(value: object) -> object:
    """Let through a ``datetime`` or an ISO 8601 date-time string
    (``2026-11-25T13:45:00Z``); refuse numbers (Unix timestamps) and bare dates."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.isascii() and _DATETIME.fullmatch(value):
        return value
    raise ValueError("a date-time is written in ISO 8601, like 2026-11-25T13:45:00Z")


def _query_bool(value: object) -> object:
    if isinstance(value, bool) or value in ("true", "false"):
        return value
    raise ValueError("a boolean is true or false")


QueryDate = Annotated[date, BeforeValidator(iso_date)]
"""A date in a query string: ``YYYY-MM-DD`` only (``?to=0`` is refused, not 1970-01-01)."""

QueryDatetime = Annotated[AwareDatetime, BeforeValidator(iso_datetime)]
"""An ISO 8601 date-time with an offset, in a query string."""

QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
"""A boolean in a query string: ``true`` or ``false`` (not ``1``, ``yes`` or ``on``)."""


def _strict(annotation: Any) -> Any:
    """``annotation`` with its booleans, numbers, dates and datetimes made strict,
    through unions, ``Annotated`` and containers."""
    if annotation is bool or annotation is int or annotation is float:
        return Annotated[annotation, Strict()]
    if annotation is AwareDatetime or annotation is datetime:
        return Annotated[annotation, BeforeValidator(iso_datetime)]
    if annotation is date:
        return Annotated[date, BeforeValidator(iso_date)]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is Annotated:
        return Annotated[(_strict(args[0]), *annotation.__metadata__)]
    if origin is Union or origin is types.UnionType:
        return Union[tuple(_strict(a) for a in args)]  # noqa: UP007 - built from a tuple
    if origin in (list, set, frozenset) and len(args) == 1:
        return origin[_strict(args[0])]
    if origin is dict and len(args) == 2:
        return origin[args[0], _strict(args[1])]
    if origin is Literal:
        return annotation
    return annotation


def _field_with_nul(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(value))
    else:
        return None
    return next((found for p, v in items if (found := _field_with_nul(v, p)) is not None), None)


class RequestBody(BaseModel):
    """Unknown fields are refused, and so is text PostgreSQL could not store (NUL);
    booleans, numbers, dates and datetimes are strict (see the module's docstring).

    Fields named in ``not_nullable`` may be left out but not sent as ``null`` (a PATCH
    field that cannot be cleared); the schema says so too.
    """

    model_config = ConfigDict(extra="forbid")

    not_nullable: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for field in cls.model_fields.values():
            strict = _strict(field.annotation)
            if strict is not field.annotation:
                field.annotation = strict
                changed = True
        if changed:
            cls.model_rebuild(force=True, raise_errors=False)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul_characters_and_nulls(cls, data: Any) -> Any:
        field = _field_with_nul(data)
        if field is not None:
            raise ValueError(f"{field}: text cannot contain NUL (\\u0000) characters")
        if isinstance(data, dict):
            for name in cls.not_nullable:
                if name in data and data[name] is None:
                    raise ValueError(f"{name}: cannot be null (leave it out to keep it)")
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> JsonSchemaValue:
        schema: JsonSchemaValue = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        for name in cls.not_nullable:
            prop = target.get("properties", {}).get(name)
            if prop is None or "anyOf" not in prop:
                continue
            branches = [b for b in prop["anyOf"] if b != {"type": "null"}]
            prop.pop("default", None)
            if len(branches) == 1:
                del prop["anyOf"]
                prop.update(branches[0])
            else:
                prop["anyOf"] = branches
        return schema
