"""The FastAPI handlers that render every known error as problem+json."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from mosaico_shared.problems import (
    PROBLEM_JSON,
    BadRequest,
    Conflict,
    DatabaseBusy,
    DependencyUnavailable,
    Forbidden,
    InvalidInput,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    Problem,
    TenantNotProvisioned,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    is_missing_database,
)

logger = logging.getLogger("mosaico.problems")


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    """Render a problem as ``application/problem+json``."""
    instance = request.url.path if request is not None else None
    return JSONResponse(
        problem.body(instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: never echo the input back, it may hold a password.
    return [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc, request)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        return problem_response(MalformedBody("The request body is not valid JSON."), request)
    fields = ", ".join(".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in errors)
    return problem_response(InvalidInput(fields, errors=errors), request)


_HTTP_PROBLEMS: dict[int, type[Problem]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: TooManyRequests,
}


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    problem_type = _HTTP_PROBLEMS.get(exc.status_code)
    if problem_type is not None:
        problem = problem_type(str(exc.detail) if exc.detail else None)
    else:
        problem = Problem(str(exc.detail) if exc.detail else None)
        problem.status, problem.slug, problem.title = exc.status_code, "http", str(exc.detail)
    problem.headers.update(exc.headers or {})
    return problem_response(problem, request)


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if is_missing_database(exc):
        return problem_response(TenantNotProvisioned(), request)
    if isinstance(exc, IntegrityError):
        return problem_response(Conflict("The change conflicts with existing data."), request)
    if isinstance(exc, DataError):
        # Values the database cannot hold (a NUL byte in text, a number out of range).
        return problem_response(InvalidInput("A value cannot be stored as given."), request)
    logger.error("database error", exc_info=exc)
    return problem_response(DependencyUnavailable("The database is unavailable."), request)


async def _on_pool_timeout(request: Request, exc: Exception) -> JSONResponse:
    # The pod's connection budget (or the tenant's share of it) is in use: a moment
    # later it likely is not. Nothing was done, so the request is safe to retry.
    logger.warning("no database connection within the pool timeout")
    return problem_response(
        DatabaseBusy("No database connection was free in time; retry shortly."), request
    )


def unexpected_error_response(exc: Exception, path: str | None = None) -> JSONResponse:
    """Log an error no handler knew (with its traceback) and render the 500 problem.

    Called by the request-context middleware while the request's context is still set,
    so the log line, the body and the headers all carry the request id and the tenant.
    """
    logger.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return JSONResponse(
        Problem("An unexpected error happened; it was logged.").body(path),
        status_code=500,
        media_type=PROBLEM_JSON,
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Make every known error of ``app`` a problem+json response. Errors nobody knew
    are rendered by ``RequestContextMiddleware`` (``unexpected_error_response``):
    Starlette would hand a catch-all handler to its outermost middleware, outside the
    request's context."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(DBAPIError, _on_database_error)
    app.add_exception_handler(PoolTimeout, _on_pool_timeout)
