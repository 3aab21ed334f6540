"""Calls between services over Kubernetes DNS: timeouts, retries with backoff on
idempotent calls, a circuit breaker, and an optional short TTL cache for reads."""

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

from mosaico_shared.circuit_breaker import CircuitBreaker
from mosaico_shared.logs import request_id_var
from mosaico_shared.problems import (
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


class ServiceClient:
    """A client for one service (``http://identity:8000``, say)."""

    def __init__(
        self,
        base_url: str,
        *,
        name: str,
        token: str | None = None,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.1,
        breaker: CircuitBreaker | None = None,
        cache_ttl: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.name = name
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=timeout, headers=headers, transport=transport
        )
        self.attempts = attempts
        self.backoff = backoff
        self.breaker = breaker or CircuitBreaker()
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
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.attempts if retry else 1),
            wait=wait_exponential_jitter(multiplier=self.backoff, max=2.0),
            retry=retry_if_exception_type((_Retryable, httpx.TransportError)),
            reraise=True,
        ):
            with attempt:
                response = await self.http.request(method, path, json=json, headers=headers)
                if response.status_code in _RETRYABLE_STATUS:
                    raise _Retryable(f"{response.status_code} from {self.name}")
        return response

    def _problem_from(self, response: httpx.Response) -> Problem:
        detail = None
        if response.headers.get("content-type", "").startswith("application/problem+json"):
            detail = response.json().get("detail")
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
        data = (await self.request("GET", path, headers=headers)).json()
        if cached and self._cache is not None:
            self._cache[path] = data
        return data

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()
