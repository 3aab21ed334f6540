"""Domain errors as RFC 9457 problems: the types, and what OpenAPI says of them.

No web framework here, so a process that only raises or catches them (the operator, a
client of another service) does not load one; :mod:`mosaico_shared.problem_handlers`
renders them in a FastAPI app."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mosaico_shared.logs import request_id_var

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://mosaico.dev/problems/"


class Problem(Exception):
    """An error a client can act on; subclasses fix the status and the problem type."""

    status: int = 500
    slug: str = "internal"
    title: str = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        if title is not None:
            self.title = title
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document (RFC 9457 members plus extensions)."""
        doc: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            doc["detail"] = self.detail
        if instance:
            doc["instance"] = instance
        doc.update(self.extensions)
        request_id = request_id_var.get()
        if request_id:
            doc["request_id"] = request_id
        return doc


class BadRequest(Problem):
    status, slug, title = 400, "bad-request", "Bad Request"


class MalformedBody(Problem):
    status, slug, title = 400, "malformed-body", "Malformed request body"


class Unauthorized(Problem):
    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **extensions)


class Forbidden(Problem):
    status, slug, title = 403, "forbidden", "Forbidden"


class TenantSuspended(Forbidden):
    slug, title = "tenant-suspended", "Tenant suspended"


class ModuleNotEnabled(Forbidden):
    slug, title = "module-not-enabled", "Module not enabled for this tenant"


class LimitExceeded(Forbidden):
    slug, title = "limit-exceeded", "Plan limit exceeded"


class NotFound(Problem):
    status, slug, title = 404, "not-found", "Not Found"


class TenantNotProvisioned(NotFound):
    slug, title = "tenant-not-provisioned", "Tenant not provisioned for this module"


class Conflict(Problem):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(Problem):
    status, slug, title = 413, "payload-too-large", "Payload Too Large"


class UnsupportedMediaType(Problem):
    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


class InvalidInput(Problem):
    status, slug, title = 422, "invalid-input", "Invalid input"


class TooManyRequests(Problem):
    status, slug, title = 429, "too-many-requests", "Too Many Requests"


class DependencyUnavailable(Problem):
    status, slug, title = 503, "dependency-unavailable", "Service dependency unavailable"


class DatabaseBusy(Problem):
    """Every database connection the pod may hold stayed in use for the pool timeout."""

    status, slug, title = 503, "database-busy", "Database busy"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail, headers={"Retry-After": "1"}, **extensions)


class BadGateway(Problem):
    """Another service answered, but not with anything this one can use."""

    status, slug, title = 502, "bad-gateway", "Bad answer from a service dependency"


_MISSING_DATABASE = re.compile(r'database "[^"]+" does not exist')


def is_missing_database(exc: DBAPIError) -> bool:
    """True when a connection failed because the database does not exist (3D000).

    At connect time libpq reports it as a message, not always with a SQLSTATE.
    """
    if getattr(exc.orig, "sqlstate", None) == "3D000":
        return True
    return bool(_MISSING_DATABASE.search(str(exc.orig)))


def problem_responses(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries for the problems an endpoint can answer."""
    return {
        p.status: {
            "description": p.title,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for p in problems
    }
