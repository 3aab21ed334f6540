"""How every service reads a JSON request body: numbers exactly, media type checked.

FastAPI parses bodies with ``json.loads``, which turns ``0.100000000000000001`` into
the float ``0.1`` before any model sees it. Here every JSON number with a fraction or
an exponent becomes the ``Decimal`` of its text, so money (and any other number) is
judged as it was written; ``NaN`` and ``Infinity`` (which are not JSON) are malformed
bodies; and a body that is not JSON is a 415, not a confusing 422.

The app factory makes every route of the routers it is given an :class:`ExactJsonRoute`,
so modules keep building plain ``fastapi.APIRouter`` objects.
"""

from __future__ import annotations

import email.message
import json
from collections.abc import Callable, Coroutine, Iterable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from mosaico_shared.problems import UnsupportedMediaType


class _NotJson(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value")


def loads_exactly(data: str | bytes) -> Any:
    """``json.loads`` with numbers kept exact: fractions and exponents as ``Decimal``,
    ``NaN``/``Infinity`` refused (``json.JSONDecodeError``)."""
    text = data.decode() if isinstance(data, bytes) else data
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except _NotJson as exc:
        raise json.JSONDecodeError(str(exc), text, 0) from exc


def is_json_media_type(content_type: str | None) -> bool:
    """``application/json`` or any ``application/*+json``, parameters ignored."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class ExactJsonRequest(Request):
    """A request whose JSON body keeps its numbers exact (see :func:`loads_exactly`)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_exactly(await self.body())
        return self._json


class ExactJsonRoute(APIRoute):
    """A route that reads JSON bodies exactly and answers 415 to bodies of another
    media type (routes without a body accept any request)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_body = self.body_field is not None

        async def exact_json_handler(request: Request) -> Response:
            exact = ExactJsonRequest(request.scope, request.receive)
            if takes_body:
                content_type = exact.headers.get("content-type")
                if not is_json_media_type(content_type) and await exact.body():
                    raise UnsupportedMediaType(
                        "The body must be JSON (Content-Type: application/json)."
                    )
            return await handler(exact)

        return exact_json_handler


def read_json_exactly(routers: Iterable[APIRouter]) -> None:
    """Make every plain route of ``routers`` an :class:`ExactJsonRoute`.

    It only replaces how the handler reads the request, so the route object is kept
    and re-typed; a route of another custom class is refused rather than silently
    left lenient.
    """
    for router in routers:
        for route in router.routes:
            if not isinstance(route, APIRoute) or isinstance(route, ExactJsonRoute):
                continue
            if type(route) is not APIRoute:
                raise TypeError(
                    f"{route.path}: {type(route).__name__} would skip exact JSON reading; "
                    "derive it from mosaico_shared.routing.ExactJsonRoute"
                )
            route.__class__ = ExactJsonRoute
