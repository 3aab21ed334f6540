"""JSON bodies written in one pass, for endpoints that answer with rows they read.

A response model validates every row into an object and then serializes the objects;
for rows read from a module's own tables, whose columns already fix their types, both
steps only cost. :func:`json_response` hands the rows (dicts, lists, strings, numbers,
``Decimal``, ``UUID``, dates and times) to pydantic's serializer directly, which writes
them exactly as a response model of those types would: amounts as strings with their
places, UUIDs as strings, times in ISO 8601 with ``Z`` for UTC. The route keeps its
``response_model=`` for the OpenAPI document; the tests check that what it answers
matches it.
"""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi import Response


def json_response(content: Any, *, status_code: int = 200) -> Response:
    """``content`` as an ``application/json`` response."""
    return Response(
        pydantic_core.to_json(content), status_code=status_code, media_type="application/json"
    )
