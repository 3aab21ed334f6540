"""The inter-service client against a real HTTP server: retries, breaker, cache."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Response
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_shared.circuit_breaker import BreakerState, CircuitBreaker
from mosaico_shared.http_client import ServiceClient, retry_wait
from mosaico_shared.problems import BadGateway, DependencyUnavailable, NotFound
from tenacity import RetryCallState

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

    @app.get("/slow")
    async def slow() -> Response:
        calls["slow"] += 1
        await asyncio.sleep(30)
        return Response(status_code=204)

    @app.get("/not-json")
    async def not_json() -> Response:
        return Response("<html>proxy error</html>", media_type="application/json")

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


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def half_open_breaker() -> CircuitBreaker:
    """Opened by one failure, cooled down, ready for its one trial (and no second one
    before a minute of this clock has passed)."""
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=60, clock=clock)
    breaker.record_failure()
    clock.now += 60
    assert breaker.state is BreakerState.HALF_OPEN
    return breaker


async def test_a_cancelled_trial_call_does_not_leave_the_breaker_stuck_half_open(server):
    breaker = half_open_breaker()
    client = ServiceClient(server, name="slow", attempts=1, breaker=breaker)
    before = calls["slow"]
    trial = asyncio.create_task(client.request("GET", "/slow"))
    while calls["slow"] == before:  # the trial reached the server
        await asyncio.sleep(0.01)
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    await client.request("GET", "/ok")  # the next call is the trial, and closes it
    assert breaker.state is BreakerState.CLOSED
    await client.aclose()


class Exploding(httpx.AsyncBaseTransport):
    """A transport failing in a way no retry rule names."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("unexpected")


async def test_a_trial_raising_something_unexpected_counts_as_a_failure(server):
    breaker = half_open_breaker()
    client = ServiceClient("http://dependency", name="odd", breaker=breaker, transport=Exploding())
    with pytest.raises(RuntimeError):
        await client.request("GET", "/anything")
    assert breaker.state is BreakerState.OPEN  # re-opened, not waiting on a lost trial
    await client.aclose()


def test_retry_jitter_is_at_most_the_backoff():
    wait = retry_wait(0.1)
    for attempt in (1, 2, 3):
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempt
        base = 0.1 * 2 ** (attempt - 1)
        waits = [wait(state) for _ in range(500)]
        assert all(base <= w <= base + 0.1 + 1e-9 for w in waits), (attempt, max(waits))


async def test_an_answer_that_is_not_json_is_a_bad_gateway(server):
    client = ServiceClient(server, name="proxy")
    with pytest.raises(BadGateway):
        await client.get_json("/not-json", cached=False)
    await client.aclose()
