"""Request bodies are strict: booleans, numbers, dates and datetimes are what they say."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

import pytest
from mosaico_shared.routing import loads_exactly
from mosaico_shared.schemas import QueryBool, QueryDate, RequestBody
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError


def _after_2000(day: date) -> date:
    if day.year < 2000:
        raise ValueError("too early")
    return day


class _Line(RequestBody):
    done: bool


class _Change(RequestBody):
    not_nullable = ("name",)

    name: str | None = None
    active: bool | None = None
    position: int | None = Field(default=None, ge=0)
    due: Annotated[date, AfterValidator(_after_2000)] | None = None
    at: AwareDatetime | None = None
    stages: list[uuid.UUID] = []
    lines: list[_Line] = []


def _read(body: str) -> _Change:
    return _Change.model_validate(loads_exactly(body))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"active": 0}', "active"),
        ('{"active": "true"}', "active"),
        ('{"position": "2"}', "position"),
        ('{"position": 2.0}', "position"),
        ('{"position": true}', "position"),
        ('{"due": 0}', "due"),
        ('{"due": "0"}', "due"),
        ('{"due": "20261125"}', "due"),
        ('{"due": "1999-12-31"}', "due"),
        ('{"at": 1700000000}', "at"),
        ('{"at": "2026-11-25"}', "at"),
        ('{"lines": [{"done": 1}]}', "lines"),
    ],
)
def test_lax_values_are_refused_naming_the_field(body, field):
    with pytest.raises(ValidationError) as error:
        _read(body)
    assert error.value.errors()[0]["loc"][0] == field


def test_strict_values_are_read_as_usual():
    change = _read(
        '{"active": false, "position": 3, "due": "2026-11-25", "at": "2026-11-25T13:45:00Z",'
        f' "stages": ["{uuid.uuid4()}"], "lines": [{{"done": true}}]}}'
    )
    assert (change.active, change.position, change.due) == (False, 3, date(2026, 11, 25))
    assert change.at is not None
    assert change.at.utcoffset() is not None
    assert change.lines[0].done is True


def test_a_not_nullable_field_may_be_left_out_but_not_sent_as_null():
    assert _read("{}").name is None
    with pytest.raises(ValidationError, match="name: cannot be null"):
        _read('{"name": null}')
    properties = _Change.model_json_schema()["properties"]
    assert properties["name"] == {"title": "Name", "type": "string"}
    assert {"type": "null"} in properties["active"]["anyOf"]


def test_nul_characters_are_refused_anywhere_in_the_body():
    with pytest.raises(ValidationError, match="NUL"):
        _read('{"name": "a\\u0000b"}')


@pytest.mark.parametrize("text", ["0", "1700000000", "2026-1-5", "25/11/2026", "2026-11-25T00:00"])
def test_a_query_date_is_yyyy_mm_dd_only(text):
    with pytest.raises(ValidationError):
        TypeAdapter(QueryDate).validate_python(text)
    assert TypeAdapter(QueryDate).validate_python("2026-11-25") == date(2026, 11, 25)


@pytest.mark.parametrize("text", ["1", "0", "yes", "on", "True", ""])
def test_a_query_boolean_is_true_or_false_only(text):
    with pytest.raises(ValidationError):
        TypeAdapter(QueryBool).validate_python(text)
    assert TypeAdapter(QueryBool).validate_python("false") is False


def test_plain_models_are_left_alone():
    class _Out(BaseModel):
        active: bool

    assert _Out.model_validate({"active": 1}).active is True
