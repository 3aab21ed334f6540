"""ASGI middleware: request ids, body size limit and one access-log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import Counter
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mosaico_shared.logs import request_id_var, tenant_var
from mosaico_shared.problem_handlers import problem_response, unexpected_error_response
from mosaico_shared.problems import PayloadTooLarge

REQUEST_ID_HEADER = b"x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_logger = logging.getLogger("mosaico.access")

TENANT_REQUESTS = Counter(
    "mosaico_tenant_requests_total",
    "Requests per module, tenant and status class (for per-tenant top-N panels).",
    ["module", "tenant", "status"],
)


def _incoming_request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER:
            candidate: str = value.decode("latin-1")
            # An id we would echo into logs and headers must be short and plain.
            if _SAFE_REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestContextMiddleware:
    """Sets the request id (taken from ``X-Request-ID`` or generated, and echoed),
    refuses bodies over ``max_body_bytes`` with 413, renders errors no handler knew
    as a 500 problem inside the request's context, and logs each request once."""

    def __init__(self, app: ASGIApp, *, module: str, max_body_bytes: int) -> None:
        self.app = app
        self.module = module
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope)
        id_token = request_id_var.set(request_id)
        tenant_token = tenant_var.set(None)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        declared = _declared_length(scope)
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(413, f"The body exceeds {self.max_body_bytes} bytes.")
            return message

        try:
            if declared is not None and declared > self.max_body_bytes:
                await self._refuse_oversized(scope, send_with_id)
            else:
                await self.app(scope, receive_limited, send_with_id)
        except Exception as exc:
            if response_started:
                raise  # half an answer is out: the server can only drop the connection
            response = unexpected_error_response(exc, scope.get("path"))
            await response(scope, receive, send_with_id)
        finally:
            self._log(scope, status, time.perf_counter() - started)
            tenant_var.reset(tenant_token)
            request_id_var.reset(id_token)

    async def _refuse_oversized(self, scope: Scope, send: Send) -> None:
        response = problem_response(
            PayloadTooLarge(f"The body exceeds {self.max_body_bytes} bytes.")
        )

        async def no_body() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        await response(scope, no_body, send)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        tenant = tenant_var.get()
        if tenant:
            TENANT_REQUESTS.labels(self.module, tenant, f"{status // 100}xx").inc()
        path = scope.get("path", "")
        if path.endswith(("/healthz", "/readyz", "/metrics")):
            return
        # The path only: query strings may carry tokens and never reach a log.
        access_logger.info(
            "%s %s %d",
            scope.get("method", ""),
            path,
            status,
            extra={
                "method": scope.get("method"),
                "path": path,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
            },
        )
