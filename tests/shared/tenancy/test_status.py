"""The tenant registry as read from identity: odd answers become 502/503 problems."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi import FastAPI, Response
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import BadGateway, DependencyUnavailable
from mosaico_shared.tenancy.status import identity_registry

pytestmark = pytest.mark.anyio


def odd_identity() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/identity/internal/tenants/{slug}")
    async def tenant(slug: str) -> Response:
        if slug == "refused":
            return Response(
                '{"title": "Unauthorized", "status": 401}',
                status_code=401,
                media_type="application/problem+json",
            )
        if slug == "garbled":
            return Response('{"slug": 7}', media_type="application/json")
        return Response("not json at all", media_type="application/json")

    return app


@pytest.fixture(scope="module")
def identity_url() -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(odd_identity(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_http(f"http://127.0.0.1:{port}/healthz")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_identity_refusing_this_service_is_a_503_not_the_callers_401(identity_url):
    client = ServiceClient(identity_url, name="identity")
    with pytest.raises(DependencyUnavailable):
        await identity_registry(client)("refused")
    await client.aclose()


async def test_a_record_of_the_wrong_shape_is_a_bad_gateway(identity_url):
    client = ServiceClient(identity_url, name="identity")
    with pytest.raises(BadGateway):
        await identity_registry(client)("garbled")
    with pytest.raises(BadGateway):
        await identity_registry(client)("unreadable")
    await client.aclose()
