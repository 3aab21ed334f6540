"""Property-based fuzzing of every module's public OpenAPI, in this process, on the real
PostgreSQL and the real identity, with the admin tokens of two tenants; and of every
module's internal OpenAPI (``/<module>/internal/openapi.json``) with the operator's own
caller token, the one caller every internal route admits.

For each operation, tenant A sends the documented examples, schemathesis' coverage
cases (boundaries, missing and extra fields, wrong types) and ``FUZZ_EXAMPLES`` cases
that fit the schema or break it; tenant B sends ``FUZZ_EXAMPLES`` more. No answer may be
a 5xx, every answer must be what the OpenAPI says of it (a documented status, its media
type, its body schema), and input that breaks the schema must be refused with a 4xx.

Internal routes get generated tenant slugs, never the fuzzed tenants' own: an upsert,
an offboarding or a first admin written into tenant A would change what the public
fuzzing of another module then finds.

Bounded and reproducible: Hypothesis runs derandomized (the same cases every run), so a
failure found once is found again. The cases sent are counted in the terminal summary.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation.hypothesis.builder import (
    HypothesisTestConfig,
    HypothesisTestMode,
    create_test,
)
from schemathesis.generation.overrides import Override

from tests.fixtures.callers import caller_headers
from tests.fixtures.services import RunningService, Tenants, discovered_modules
from tests.services.walk import endpoints

#: Generated cases per operation and tenant, besides the examples and coverage cases.
FUZZ_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: Seconds an in-process request may take before it counts as hung. Not a speed target:
#: every module's background tasks share this process's event loop, and on a loaded
#: machine schemathesis' 10 s default has cut a correct answer short.
REQUEST_TIMEOUT = 120
#: Tenant A: the examples, the coverage cases, then generated ones; tenant B: generated.
ROUNDS = (
    ("a", [HypothesisTestMode.EXAMPLES, HypothesisTestMode.COVERAGE, HypothesisTestMode.FUZZING]),
    ("b", [HypothesisTestMode.FUZZING]),
)
SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)


def _fuzz(operation: Any, headers: dict[str, str], modes: list[HypothesisTestMode]) -> int:
    """Send ``operation`` its cases with ``headers``; how many were sent (shrinking a
    failure sends more). Raises the first failure, shrunk."""
    sent = 0

    def send(case: Any) -> None:
        nonlocal sent
        sent += 1
        response = case.call(timeout=REQUEST_TIMEOUT)
        case.validate_response(response, checks=CHECKS)

    # The token is an override, never generated: a request whose only fault is a missing
    # or mangled token is the route walk's business (tests/services/test_routes.py).
    test = create_test(
        operation=operation,
        test_func=send,
        config=HypothesisTestConfig(
            project=operation.schema.config,
            modes=modes,
            settings=SETTINGS,
            override=Override(headers=headers),
        ),
    )
    # Unsatisfiable: nothing to generate beyond the explicit cases (a route without input).
    with contextlib.suppress(Unsatisfiable):
        test()
    return sent


def _fuzz_schema(
    request: pytest.FixtureRequest,
    schema: Any,
    rounds: list[tuple[str, dict[str, str], list[HypothesisTestMode]]],
    label: str,
) -> None:
    """Every operation of ``schema``, each round with its headers and modes; fails with
    every operation's first failure."""
    started = time.monotonic()
    cases, operations, failures = 0, 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for who, headers, modes in rounds:
            try:
                cases += _fuzz(operation, headers, modes)
            except Exception as exc:
                failures.append(f"{operation.label} ({who}):\n{str(exc)[:3000]}")
    request.node.user_properties.append(
        ("fuzzed", (label, operations, cases, time.monotonic() - started))
    )
    assert operations, f"{label} has no operation to fuzz"
    assert cases > operations
    assert not failures, f"{len(failures)} failures in {label}:\n\n" + "\n\n".join(failures)


@pytest.mark.parametrize("module", discovered_modules())
def test_fuzzed_requests_get_no_server_error_and_no_answer_off_the_schema(
    request: pytest.FixtureRequest,
    services: dict[str, RunningService],
    tenants: Tenants,
    module: str,
) -> None:
    rounds = [(f"tenant {name}", tenants.bearer(name), modes) for name, modes in ROUNDS]
    _fuzz_schema(request, services[module].schema, rounds, module)


@pytest.mark.parametrize("module", discovered_modules())
def test_fuzzed_internal_requests_get_no_server_error_and_no_answer_off_the_schema(
    request: pytest.FixtureRequest,
    services: dict[str, RunningService],
    module: str,
) -> None:
    operator = caller_headers("operator")
    schema = schemathesis.openapi.from_asgi(
        f"/{module}/internal/openapi.json", services[module].app, headers=operator
    )
    # A route left out of the internal document would be left out of the fuzzing too.
    internal = f"/{module}/internal/"
    routes = {
        (e.method.lower(), e.path)
        for e in endpoints(services[module].app)
        if e.path.startswith(internal) and e.path != f"{internal}openapi.json"
    }
    documented = {(m, path) for path, ops in schema.raw_schema["paths"].items() for m in ops}
    assert routes == documented, "internal routes off the internal OpenAPI"
    # Every mode once: derandomized, a second fuzzing round would send the same cases.
    modes = list(dict.fromkeys(mode for _, round_modes in ROUNDS for mode in round_modes))
    _fuzz_schema(request, schema, [("operator", operator, modes)], f"{module} (internal)")
