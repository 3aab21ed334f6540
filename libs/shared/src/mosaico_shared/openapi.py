"""The OpenAPI document tells the truth about errors: every status an operation can
answer is listed, each with the problem+json schema.

Endpoints declare their domain errors (404, 409, ...) with ``problem_responses``; what
every route of a kind can answer is added here, from what the route is:

- with a JSON body: 400 (malformed JSON), 413 (body too large), 415 (not JSON);
- with a bearer token: 401 and 403 (tenant suspended, module not enabled, role), and
  503 (identity or the database unavailable);
- with parameters or a body: 422 (invalid input);
- with a path parameter: 404.
"""

from __future__ import annotations

from typing import Any

from mosaico_shared.problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_DESCRIPTIONS = {
    "400": "Malformed request (the body is not valid JSON)",
    "401": "Missing, invalid or expired access token",
    "403": "Not allowed: role, suspended tenant, module not enabled, or plan limit",
    "404": "Not found",
    "409": "Conflict with the current state",
    "413": "Request body too large",
    "415": "The body is not JSON",
    "422": "Invalid input",
    "429": "Too many requests",
    "503": "A dependency (database, identity) is unavailable; retry later",
}

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def _statuses(operation: dict[str, Any]) -> set[str]:
    statuses = {s for s in operation.get("responses", {}) if s[:1] in "45"}
    takes_body = "requestBody" in operation
    parameters = operation.get("parameters", [])
    if takes_body:
        statuses |= {"400", "413", "415", "422"}
    if parameters:
        statuses.add("422")
    if any(p.get("in") == "path" for p in parameters):
        statuses.add("404")
    if operation.get("security"):
        statuses |= {"401", "403", "503"}
    elif takes_body:
        statuses.add("503")
    return statuses


def document_error_statuses(schema: dict[str, Any]) -> dict[str, Any]:
    """Add every error status each operation of ``schema`` can answer, with the Problem
    schema, and drop FastAPI's own validation-error schemas (errors are problems)."""
    for path in schema.get("paths", {}).values():
        for method, operation in path.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(operation)):
                entry = responses.setdefault(status, {})
                if status in _DESCRIPTIONS and (status == "422" or not entry.get("description")):
                    entry["description"] = _DESCRIPTIONS[status]
                entry["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema
