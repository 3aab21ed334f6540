"""json_response writes what pydantic's serializer would, only faster."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, timedelta, timezone

import orjson
import pydantic_core
from hypothesis import given
from hypothesis import strategies as st
from mosaico_shared.responses import json_bytes, json_response


class Status(enum.StrEnum):
    OPEN = "open"
    WON = "won"


zones = st.sampled_from([None, UTC, timezone(timedelta(hours=-3)), timezone(timedelta(0))])

#: What a row read from a module's tables holds.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # past 64 bits, too
    # Non-finite floats are left out: pydantic writes them as NaN/Infinity, not JSON.
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.uuids(),
    st.dates(),
    st.datetimes(timezones=zones),
    st.times(),
    st.timedeltas(),
    st.sampled_from(Status),
    st.binary(max_size=8).map(lambda b: b.hex().encode()),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.tuples(inner, inner),
        st.dictionaries(st.text(max_size=8), inner, max_size=5),
        st.dictionaries(st.integers(), inner, max_size=3),  # keys that are not strings
    ),
    max_leaves=30,
)


@given(values)
def test_a_body_is_written_as_pydantic_writes_it(value):
    assert json_bytes(value) == pydantic_core.to_json(value)


def test_a_page_of_rows_is_written_by_orjson():
    row = {
        "id": uuid.UUID(int=7),
        "estimated_value": pydantic_core.from_json('"1234.50"'),
        "tags": ["a"],
    }
    body = json_response({"items": [row], "limit": 50, "next_cursor": None}).body
    assert orjson.loads(body) == {
        "items": [{"id": str(uuid.UUID(int=7)), "estimated_value": "1234.50", "tags": ["a"]}],
        "limit": 50,
        "next_cursor": None,
    }
