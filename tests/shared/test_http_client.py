"""The inter-service client against a real HTTP server: retries, breaker, cache."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Response
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_shared.circuit_breaker import BreakerState, CircuitBreaker
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import DependencyUnavailable, NotFound

pytestmark = pytest.mark.anyio

calls: Counter[str] = Counter()


def _flaky_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> dict[str, int]:
        calls["ok"] += 1
        return {"n": calls["ok"]}

    @app.get("/flaky/{name}")
    async def flaky(name: str) -> Response:
        calls[name] += 1
        if calls[name] <= 2:
            return Response(status_code=503)
        return Response('{"ok": true}', media_type="application/json")

    @app.post("/flaky-post")
    async def flaky_post() -> Response:
        calls["post"] += 1
        return Response(status_code=503)

    @app.get("/down")
    async def down() -> Response:
        calls["down"] += 1
        return Response(status_code=503)

    @app.get("/missing")
    async def missing() -> Response:
        return Response(
            '{"title": "Not Found", "status": 404, "detail": "no such thing"}',
            status_code=404,
            media_type="application/problem+json",
        )

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(_flaky_app(), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    wait_for_http(f"http://127.0.0.1:{port}/ok")
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_idempotent_calls_are_retried_with_backoff_until_they_succeed(server):
    client = ServiceClient(server, name="flaky", backoff=0.01)
    assert (await client.get_json("/flaky/get", cached=False)) == {"ok": True}
    assert calls["get"] == 3
    await client.aclose()


async def test_non_idempotent_calls_are_not_retried(server):
    client = ServiceClient(server, name="flaky", backoff=0.01)
    with pytest.raises(DependencyUnavailable):
        await client.request("POST", "/flaky-post")
    assert calls["post"] == 1
    await client.aclose()


async def test_the_breaker_opens_after_repeated_failures_and_stops_calling(server):
    breaker = CircuitBreaker(failure_threshold=2, reset_after=60)
    client = ServiceClient(server, name="down", attempts=1, breaker=breaker)
    for _ in range(2):
        with pytest.raises(DependencyUnavailable):
            await client.request("GET", "/down")
    assert breaker.state is BreakerState.OPEN
    before = calls["down"]
    with pytest.raises(DependencyUnavailable, match="paused"):
        await client.request("GET", "/down")
    assert calls["down"] == before
    await client.aclose()


async def test_a_half_open_breaker_closes_after_one_good_call(server):
    breaker = CircuitBreaker(failure_threshold=1, reset_after=0.05)
    client = ServiceClient(server, name="ok", attempts=1, breaker=breaker)
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    await asyncio.sleep(0.06)
    assert breaker.state is BreakerState.HALF_OPEN
    await client.request("GET", "/ok")
    assert breaker.state is BreakerState.CLOSED
    await client.aclose()


async def test_the_ttl_cache_answers_repeated_reads_without_calling(server):
    client = ServiceClient(server, name="ok", cache_ttl=60)
    first = await client.get_json("/ok")
    second = await client.get_json("/ok")
    assert first == second
    uncached = await client.get_json("/ok", cached=False)
    assert uncached != first
    await client.aclose()


async def test_client_errors_come_back_as_problems_with_the_remote_detail(server):
    client = ServiceClient(server, name="remote")
    with pytest.raises(NotFound, match="no such thing"):
        await client.request("GET", "/missing")
    await client.aclose()
