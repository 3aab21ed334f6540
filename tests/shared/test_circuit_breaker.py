"""The circuit breaker on its own: states, the single trial, and its metric."""

from __future__ import annotations

from mosaico_shared.circuit_breaker import BreakerState, CircuitBreaker
from prometheus_client import REGISTRY


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def exported_state(name: str) -> float | None:
    return REGISTRY.get_sample_value("mosaico_circuit_breaker_state", {"dependency": name})


def test_half_open_lets_exactly_one_trial_through():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow()


def test_an_abandoned_trial_frees_the_half_open_breaker_for_the_next_call():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.abandon()
    assert breaker.allow()


def test_a_trial_that_never_reports_back_is_given_up_after_the_reset_period():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    clock.now += 9
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_a_failed_trial_reopens_and_a_good_one_closes():
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=10, clock=clock)
    breaker.record_failure()
    clock.now += 10
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED


def test_the_state_is_exported_as_a_metric():
    clock = Clock()
    breaker = CircuitBreaker(
        failure_threshold=1, reset_after=10, clock=clock, name="metric-dependency"
    )
    assert exported_state("metric-dependency") == 0
    opened = REGISTRY.get_sample_value(
        "mosaico_circuit_breaker_opened_total", {"dependency": "metric-dependency"}
    )
    breaker.record_failure()
    assert exported_state("metric-dependency") == 2
    assert (
        REGISTRY.get_sample_value(
            "mosaico_circuit_breaker_opened_total", {"dependency": "metric-dependency"}
        )
        == (opened or 0) + 1
    )
    clock.now += 10
    assert exported_state("metric-dependency") == 1
