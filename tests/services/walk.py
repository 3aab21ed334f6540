"""Every route of a module's app, as the router holds them (not as the OpenAPI says), and
one real object of tenant A behind every path parameter, created through the module's
own API from the request examples its OpenAPI documents."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from tests.fixtures.services import RunningService

_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
#: What a path parameter gets when no object stands behind it.
NOBODY = "nobody-walk"


@dataclass(frozen=True)
class Endpoint:
    """One method of one route: ``GET /crm/v1/leads/{lead_id}``."""

    method: str
    path: str
    takes_body: bool = False
    mounted: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def url(self, values: dict[str, str] | None = None) -> str:
        """The path with every parameter filled (``values`` first, else a made-up one)."""
        values = values or {}

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return values[name]
            return NOBODY if name == "tenant" else str(uuid.uuid4())

        path = _PARAM.sub(fill, self.path)
        return f"{path}/favicon-32x32.png" if self.mounted else path


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app answers; HEAD, which Starlette adds to GET, aside."""
    found = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if isinstance(original, Mount):
            found.append(Endpoint("GET", str(route.path), mounted=True))
            continue
        takes_body = isinstance(original, APIRoute) and route.body_field is not None
        for method in sorted(set(route.methods or ()) - {"HEAD"}):
            found.append(Endpoint(method, str(route.path), takes_body=takes_body))
    return found


def shadowed(app: FastAPI) -> list[Endpoint]:
    """Routes that no request can reach: an earlier route has the same method and path."""
    seen: set[tuple[str, str]] = set()
    hidden = []
    for endpoint in endpoints(app):
        key = (endpoint.method, _PARAM.sub("{}", endpoint.path))
        if key in seen:
            hidden.append(endpoint)
        seen.add(key)
    return hidden


def is_internal(service: RunningService, endpoint: Endpoint) -> bool:
    return endpoint.path.startswith(f"{service.prefix}/internal/")


# --- one object of tenant A behind every path parameter ---------------------------------


def collections(paths: list[str]) -> dict[str, str]:
    """Collection path -> the parameter naming one of its members:
    ``/crm/v1/leads`` -> ``lead_id`` (from ``/crm/v1/leads/{lead_id}/...``)."""
    found = {}
    for path in paths:
        for match in re.finditer(r"/\{(\w+)\}", path):
            found[path[: match.start()]] = match.group(1)
    return found


def _members(document: Any, param: str) -> Iterator[str]:
    """The identifiers of the objects an answer holds: itself, or the items of a list
    (at the top or under a top-level key such as ``items``)."""
    if isinstance(document, dict):
        key = param if param in document else "id"
        if isinstance(document.get(key), str):
            yield document[key]
            return
        for value in document.values():
            if isinstance(value, list):
                yield from _members(value, param)
    elif isinstance(document, list):
        for item in document:
            if isinstance(item, dict):
                yield from _members(item, param)


def example_body(operation: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """The first request example the operation documents (None without one)."""
    media = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if media is None:
        return None
    if "example" in media:
        return media["example"]
    if media.get("examples"):
        return next(iter(media["examples"].values())).get("value")
    schema = media.get("schema", {})
    ref = schema.get("$ref", "").rsplit("/", 1)[-1]
    declared = schemas.get(ref, schema)
    if declared.get("examples"):
        return declared["examples"][0]
    return declared.get("example")


def required_headers(operation: dict[str, Any]) -> dict[str, str]:
    """The headers the operation requires, each with a fresh value (an
    ``Idempotency-Key`` must be new for the request to make something)."""
    return {
        p["name"]: str(uuid.uuid4())
        for p in operation.get("parameters", [])
        if p.get("in") == "header" and p.get("required")
    }


def with_ids(body: Any, ids: dict[str, list[str]], choice: int = 0) -> Any:
    """``body`` with each field that names a known kind of object (``stage_id``, or
    ``bank_account_id`` for ``account_id``) set to one of tenant A's."""
    if not isinstance(body, dict):
        return body
    filled = dict(body)
    for key in body:
        kind = next((k for k in ids if key == k or key.endswith(f"_{k}")), None)
        if kind is not None and ids[kind]:
            filled[key] = ids[kind][choice % len(ids[kind])]
    return filled


def seed(service: RunningService, headers: dict[str, str]) -> dict[str, list[str]]:
    """Objects of one tenant behind every path parameter it can reach: each collection
    is listed, and where it is empty one member is created from the documented example
    (with the ids of objects made before it). Returns parameter -> identifiers."""
    spec = service.schema.raw_schema
    paths = spec.get("paths", {})
    schemas = spec.get("components", {}).get("schemas", {})
    members = collections(list(paths))
    ids: dict[str, list[str]] = {}
    for _ in range(len(members) + 1):  # one more kind becomes reachable per round at worst
        before = sum(map(len, ids.values()))
        for collection, param in members.items():
            known = {k: v[0] for k, v in ids.items() if v}
            if collection not in paths or not set(_PARAM.findall(collection)) <= set(known):
                continue
            url = Endpoint("GET", collection).url(known)
            operations = paths[collection]
            if "get" in operations and not ids.get(param):
                listed = service.client.get(url, headers=headers)
                if listed.status_code == 200:
                    ids.setdefault(param, []).extend(_members(listed.json(), param))
            if "post" in operations and not ids.get(param):
                body = example_body(operations["post"], schemas)
                for choice in range(max(map(len, ids.values()), default=1)):
                    made = service.client.post(
                        url,
                        headers={**headers, **required_headers(operations["post"])},
                        json=with_ids(body, ids, choice),
                    )
                    if made.status_code in (200, 201, 202):
                        ids[param] = list(_members(made.json(), param))
                        break
        if sum(map(len, ids.values())) == before:
            break
    return {k: v for k, v in ids.items() if v}
