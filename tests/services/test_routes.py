"""Every route of every module refuses whoever may not use it.

The routes are read from each app's router (hidden ones included, not only what the
OpenAPI shows) and every module under ``services/`` is walked, so a new route or a new
module is covered the day it exists. Only the routes in ``PUBLIC`` answer without a
token; ``/<module>/internal/...`` answers only the callers ``INTERNAL_READERS`` names
(the operator alone elsewhere); every other route needs a valid access token of an
active tenant that has the module.
"""

from __future__ import annotations

import base64
import inspect
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.auth.callers import CALLER_NAMES, OPERATOR, SERVICES

from tests.fixtures.callers import caller_headers
from tests.fixtures.services import (
    RunningService,
    Tenants,
    discovered_modules,
    mint_token,
    problem_of,
    token_claims,
)
from tests.services.walk import (
    Endpoint,
    endpoints,
    example_body,
    is_internal,
    seed,
    shadowed,
    with_ids,
)

MODULES = discovered_modules()

#: The routes anyone may call without a token: "{module}" stands for every module.
PUBLIC = {
    # The kubelet's probes and Prometheus' scrapes.
    ("GET", "/{module}/healthz"),
    ("GET", "/{module}/readyz"),
    ("GET", "/{module}/metrics"),
    # The public API's description and its docs (internal routes are not in it).
    ("GET", "/{module}/openapi.json"),
    ("GET", "/{module}/docs"),
    ("GET", "/{module}/docs/assets"),
    # How a user gets a token at all, and where services find identity's public keys.
    ("POST", "/identity/v1/auth/login"),
    ("POST", "/identity/v1/auth/refresh"),
    ("POST", "/identity/v1/auth/logout"),
    ("POST", "/identity/v1/invites/accept"),
    ("POST", "/identity/v1/auth/password-reset"),
    ("POST", "/identity/v1/auth/password-reset/confirm"),
    ("GET", "/identity/.well-known/jwks.json"),
}

#: Internal routes every module service may read; every other internal route is the
#: operator's alone.
INTERNAL_READERS = {
    ("GET", "/identity/internal/tenants/{tenant}"): (OPERATOR, *SERVICES),
    ("GET", "/{module}/internal/openapi.json"): (OPERATOR, *SERVICES),
}


def _public(service: RunningService, endpoint: Endpoint) -> bool:
    return any(
        (endpoint.method, endpoint.path) == (method, path.replace("{module}", service.module))
        for method, path in PUBLIC
    )


def _allowed_callers(service: RunningService, endpoint: Endpoint) -> tuple[str, ...]:
    for (method, path), callers in INTERNAL_READERS.items():
        if (endpoint.method, endpoint.path) == (method, path.replace("{module}", service.module)):
            return callers
    return (OPERATOR,)


def _user_routes(service: RunningService) -> list[Endpoint]:
    return [
        e for e in endpoints(service.app) if not _public(service, e) and not is_internal(service, e)
    ]


def _send(
    service: RunningService, endpoint: Endpoint, headers: dict[str, str], url: str = ""
) -> Any:
    body = {} if endpoint.takes_body else None
    return service.client.request(
        endpoint.method, url or endpoint.url(), headers=headers, json=body, allow_redirects=False
    )


@pytest.fixture(scope="module", params=MODULES)
def service(request: pytest.FixtureRequest, services: dict[str, RunningService]) -> RunningService:
    return services[request.param]


# --- the map of routes is what it claims to be -------------------------------------------


def test_every_route_can_be_reached(service: RunningService) -> None:
    assert not shadowed(service.app), "an earlier route answers these (method, path) first"


def test_no_route_sends_its_endpoint_or_a_dependency_to_a_worker_thread(
    service: RunningService,
) -> None:
    """FastAPI runs a plain ``def`` endpoint or dependency in its thread pool: a thread
    hop on every request for work that never blocks (reading ``app.state``, checking
    query parameters). Every one of ours is ``async``; ``/metrics`` is the
    instrumentator's, whose rendering is CPU work better done off the loop."""
    blocking = set()
    for context in iter_route_contexts(service.app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or route.path == f"{service.prefix}/metrics":
            continue
        waiting = [route.dependant]
        while waiting:
            dependant = waiting.pop()
            waiting.extend(dependant.dependencies)
            call = dependant.call
            if call is not None and not _runs_on_the_event_loop(call):
                blocking.add(f"{route.path}: {getattr(call, '__name__', call)}")
    assert not blocking, sorted(blocking)


def _runs_on_the_event_loop(call: Callable[..., Any]) -> bool:
    method = call if inspect.isfunction(call) or inspect.ismethod(call) else call.__call__  # type: ignore[operator]
    return inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)


def test_the_public_routes_are_those_listed_and_answer_without_a_token(
    service: RunningService,
) -> None:
    public = [e for e in endpoints(service.app) if _public(service, e)]
    listed = {
        (m, p.replace("{module}", service.module))
        for m, p in PUBLIC
        if "{module}" in p or p.startswith(service.prefix + "/")
    }
    assert {(e.method, e.path) for e in public} == listed, "PUBLIC names a route that is gone"
    refused = [str(e) for e in public if _send(service, e, {}).status_code in (401, 403)]
    assert not refused


# --- user routes: a valid token of an active tenant that has the module ------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{header}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _unsigned(token: str) -> str:
    header = {**jwt.get_unverified_header(token), "alg": "none"}
    return f"{_b64(header)}.{token.split('.')[1]}."


def _shared_secret(token: str) -> str:
    """Signed with HS256 and a secret anyone can know: the classic key-confusion attack."""
    header = jwt.get_unverified_header(token)
    return jwt.encode(token_claims(token), "the public key, which anyone can read", algorithm="HS256",
                      headers={"kid": header["kid"]})  # fmt: skip


Forge = Callable[[RunningService, Tenants, LocalPostgres], dict[str, str]]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _minted(**changes: Any) -> Forge:
    def forge(service: RunningService, tenants: Tenants, postgres: LocalPostgres) -> dict[str, str]:
        issued = token_claims(tenants.tokens["a"])
        claims = {**issued, **changes}
        if "modules" in changes:
            claims["modules"] = [m for m in issued["modules"] if m != service.module]
        return _bearer(mint_token(postgres, claims, like=tenants.tokens["a"]))

    return forge


#: name -> (how the request is made, status, problem type, a word of the detail)
REFUSALS: dict[str, tuple[Forge, int, str, str]] = {
    "no token": (lambda s, t, p: {}, 401, "unauthorized", "required"),
    "not a bearer token": (lambda s, t, p: {"Authorization": "Basic YWRtaW46YWRtaW4="}, 401,
                           "unauthorized", "required"),
    "tampered signature": (lambda s, t, p: _bearer(_tampered(t.tokens["a"])), 401,
                           "unauthorized", "invalid"),
    "alg none": (lambda s, t, p: _bearer(_unsigned(t.tokens["a"])), 401, "unauthorized", "'none'"),
    "alg HS256": (lambda s, t, p: _bearer(_shared_secret(t.tokens["a"])), 401,
                  "unauthorized", "'HS256'"),
    "expired": (_minted(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), 401,
                "unauthorized", "expired"),
    "unknown tenant": (_minted(tenant="nobody-walk"), 401, "unauthorized", "unknown"),
    "module not in the token": (_minted(modules=None), 403, "module-not-enabled", ""),
    "module not enabled": (lambda s, t, p: t.bearer("bare"), 403, "module-not-enabled", ""),
    "suspended tenant": (lambda s, t, p: t.bearer("suspended"), 403, "tenant-suspended", ""),
}  # fmt: skip


#: Every module with every refusal, but identity without "module not enabled": every
#: tenant has identity, so no token can lack it.
REFUSED = [
    pytest.param(module, refusal, id=f"{module}-{refusal}")
    for module in MODULES
    for refusal in REFUSALS
    if (module, refusal) != ("identity", "module not enabled")
]


@pytest.mark.parametrize(("service", "refusal"), REFUSED, indirect=["service"])
def test_every_user_route_refuses(
    service: RunningService, tenants: Tenants, postgres: LocalPostgres, refusal: str
) -> None:
    forge, status, kind, reason = REFUSALS[refusal]
    headers = forge(service, tenants, postgres)
    routes = _user_routes(service)
    assert routes
    wrong = []
    for endpoint in routes:
        response = _send(service, endpoint, headers)
        if response.status_code != status:
            wrong.append(f"{endpoint}: {response.status_code} {response.text[:200]}")
            continue
        problem = problem_of(response)
        if not problem["type"].endswith(f"/{kind}") or reason not in problem.get("detail", ""):
            wrong.append(f"{endpoint}: {problem}")
    assert not wrong, f"{refusal}: expected {status} {kind}:\n" + "\n".join(wrong)


def test_a_valid_token_passes_every_user_route(service: RunningService, tenants: Tenants) -> None:
    """What makes the refusals above mean something: the same requests with tenant B's
    admin token get past authentication on every route."""
    refused = []
    for endpoint in _user_routes(service):
        response = _send(service, endpoint, tenants.bearer("b"))
        if response.status_code in (401, 403):
            refused.append(f"{endpoint}: {response.status_code} {response.text[:200]}")
    assert not refused


def test_another_tenants_token_reaches_none_of_its_objects(
    service: RunningService, tenants: Tenants
) -> None:
    """Tenant A's objects, one behind every path parameter: tenant B's admin finds none
    of them by id, and no list of B's holds any of them."""
    ids = seed(service, tenants.bearer("a"))
    spec = service.schema.raw_schema
    schemas = spec.get("components", {}).get("schemas", {})
    first = {param: values[0] for param, values in ids.items()}
    every_id = {value for values in ids.values() for value in values}
    unreached, leaked = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            endpoint = Endpoint(method.upper(), path)
            if not endpoint.params:
                if endpoint.method == "GET":
                    answer = service.client.get(path, headers=tenants.bearer("b")).text
                    leaked += [f"{endpoint}: {i}" for i in every_id if i in answer]
                continue
            if not set(endpoint.params) <= set(first):
                unreached.append(f"{endpoint}: no object of tenant A for {endpoint.params}")
                continue
            url = endpoint.url(first)
            body = with_ids(example_body(operation, schemas), ids)
            if body is None and "requestBody" in operation:
                body = {}
            if method == "get":
                own = service.client.get(url, headers=tenants.bearer("a"))
                assert own.status_code == 200, f"{endpoint} as tenant A: {own.text[:300]}"
            other = service.client.request(method, url, headers=tenants.bearer("b"), json=body)
            if other.status_code != 404:
                leaked.append(f"{endpoint}: {other.status_code} {other.text[:200]}")
    assert not unreached, "document a request example on the collection's POST:\n" + "\n".join(
        unreached
    )
    assert not leaked, "tenant B reached tenant A's objects:\n" + "\n".join(leaked)


# --- internal routes: each caller proves who it is and may do only its own job -----------


def _internal_routes(service: RunningService) -> list[Endpoint]:
    routes = [e for e in endpoints(service.app) if is_internal(service, e)]
    assert routes, f"{service.module} has no internal route (onboarding at least)"
    return routes


@pytest.mark.parametrize(
    "who", ["no token", "a user's access token", "a made-up token", "a caller not allowed"]
)
def test_every_internal_route_refuses(service: RunningService, tenants: Tenants, who: str) -> None:
    wrong = []
    for endpoint in _internal_routes(service):
        allowed = _allowed_callers(service, endpoint)
        if who == "a caller not allowed":
            attempts = [(n, caller_headers(n), 403) for n in sorted(CALLER_NAMES - set(allowed))]
        else:
            headers = {
                "no token": {},
                "a user's access token": tenants.bearer("a"),
                "a made-up token": {"Authorization": "Bearer operator"},
            }[who]
            attempts = [(who, headers, 401)]
        for name, headers, status in attempts:
            response = _send(service, endpoint, headers)
            if response.status_code != status or (status == 403 and name not in response.text):
                wrong.append(f"{endpoint} as {name}: {response.status_code} {response.text[:200]}")
            else:
                problem_of(response)
    assert not wrong, "\n".join(wrong)


def test_the_allowed_callers_get_past_the_door(service: RunningService) -> None:
    """Reads, and what names a tenant that does not exist, so nothing changes."""
    refused = []
    for endpoint in _internal_routes(service):
        if endpoint.method != "GET" and "tenant" not in endpoint.params:
            continue
        for name in _allowed_callers(service, endpoint):
            response = _send(service, endpoint, caller_headers(name))
            if response.status_code in (401, 403):
                refused.append(
                    f"{endpoint} as {name}: {response.status_code} {response.text[:200]}"
                )
    assert not refused
