"""Calls between services over Kubernetes DNS: timeouts, retries with backoff on
idempotent calls, a circuit breaker, and an optional short TTL cache for reads.

Whatever the other service answers, the caller gets a problem it can render: 4xx
answers keep their meaning, anything else (5xx, no answer, a body that is not the JSON
it should be) becomes a 503 or 502 problem, never an unhandled error."""

from __future__ import annotations

from typing import Any

import httpx
from cachetools import TTLCache
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import wait_base

from mosaico_shared.circuit_breaker import CircuitBreaker
from mosaico_shared.logs import request_id_var
from mosaico_shared.problems import (
    BadGateway,
    BadRequest,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    NotFound,
    Problem,
    Unauthorized,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRYABLE_STATUS = frozenset({502, 503, 504})
_CLIENT_PROBLEMS: dict[int, type[Problem]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}


class _Retryable(Exception):
    """A transient failure worth another attempt."""


def retry_wait(backoff: float, *, longest: float = 2.0) -> wait_base:
    """Exponential backoff starting at ``backoff`` seconds and doubling per attempt,
    plus a random jitter of up to ``backoff`` (never more than ``longest`` in all)."""
    return wait_exponential_jitter(multiplier=backoff, jitter=backoff, max=longest)


class ServiceClient:
    """A client for one service (``http://identity:8000``, say). ``auth`` is this
    workload's credential for the service's internal API (``CallerCredentials``)."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        auth: httpx.Auth | None = None,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.1,
        breaker: CircuitBreaker | None = None,
        cache_ttl: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, auth=auth, transport=transport
        )
        self.attempts = attempts
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker(name=name)
        self._cache: TTLCache[str, Any] | None = (
            TTLCache(maxsize=1024, ttl=cache_ttl) if cache_ttl else None
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        idempotent: bool | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a request; retried only when idempotent; 4xx answers become problems."""
        method = method.upper()
        retry = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        if not self.breaker.allow():
            raise DependencyUnavailable(f"{self.name} is failing; calls are paused for a while.")
        try:
            response = await self._send_with_retries(method, path, json, retry, headers or {})
        except (_Retryable, httpx.HTTPError) as exc:
            self.breaker.record_failure()
            raise DependencyUnavailable(f"{self.name} did not answer: {exc}.") from exc
        except Exception:
            self.breaker.record_failure()
            raise
        except BaseException:
            # Cancelled (the caller went away, a timeout above us): no verdict on the
            # dependency, but the trial call of a half-open breaker must not stay taken.
            self.breaker.abandon()
            raise
        self.breaker.record_success()
        if response.status_code >= 400:
            raise self._problem_from(response)
        return response

    async def _send_with_retries(
        self, method: str, path: str, json: Any, retry: bool, extra_headers: dict[str, str]
    ) -> httpx.Response:
        headers = dict(extra_headers)
        request_id = request_id_var.get()
        if request_id:
            headers["X-Request-ID"] = request_id
        # A call that carries its own Authorization (a user's token) speaks for that
        # user; this workload's credential is not added to it.
        own = any(name.lower() == "authorization" for name in headers)
        auth: Any = None if own else httpx.USE_CLIENT_DEFAULT
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts if retry else 1),
            wait=retry_wait(self.backoff),
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            reraise=True,
        ):
            with attempt:
                response = await self.http.request(
                    method, path, json=json, headers=headers, auth=auth
                )
                if response.status_code in _RETRYABLE_STATUS:
                    raise _Retryable(f"{response.status_code} from {self.name}")
        return response

    def _problem_from(self, response: httpx.Response) -> Problem:
        detail = None
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            try:
                body = response.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("detail"), str):
                detail = body["detail"]
        problem_type = _CLIENT_PROBLEMS.get(response.status_code)
        if problem_type is None:
            return DependencyUnavailable(f"{self.name} answered {response.status_code}.")
        return problem_type(detail or f"{self.name} answered {response.status_code}.")

    async def get_json(
        self, path: str, *, cached: bool = True, headers: dict[str, str] | None = None
    ) -> Any:
        """GET a JSON document, through the TTL cache when the client has one (never
        for calls with their own headers: those speak for a particular caller)."""
        cached = cached and not headers
        if cached and self._cache is not None and path in self._cache:
            return self._cache[path]
        response = await self.request("GET", path, headers=headers)
        try:
            data = response.json()
        except ValueError as exc:
            raise BadGateway(f"{self.name} answered {path} with a body that is not JSON.") from exc
        if cached and self._cache is not None:
            self._cache[path] = data
        return data

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()
