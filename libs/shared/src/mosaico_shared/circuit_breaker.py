"""A circuit breaker: stop calling a dependency that keeps failing, try again later."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from prometheus_client import Counter, Gauge


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


#: The value ``mosaico_circuit_breaker_state`` takes for each state.
STATE_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}

BREAKER_STATE = Gauge(
    "mosaico_circuit_breaker_state",
    "Circuit breaker towards a dependency: 0 closed, 1 half-open (one trial call may go), "
    "2 open (calls refused).",
    ["dependency"],
)
BREAKER_OPENED = Counter(
    "mosaico_circuit_breaker_opened_total",
    "Times the circuit breaker towards a dependency opened (or re-opened after a failed trial).",
    ["dependency"],
)


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; after ``reset_after``
    seconds lets one trial call through (half-open); a success closes it again.

    Every call ``allow()`` lets out must end in ``record_success``, ``record_failure``
    or ``abandon`` (a cancelled call has no verdict, but frees the trial). As a last
    guard, a trial that has not reported back within ``reset_after`` counts as lost and
    the next call becomes the trial, so the breaker can never stay half-open for good.

    With a ``name``, the state is exported as ``mosaico_circuit_breaker_state``.
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_after: float = 10.0,
        name: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self.name = name
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_started_at: float | None = None
        if name is not None:
            BREAKER_STATE.labels(name).set_function(lambda: STATE_VALUES[self.state])

    @property
    def state(self) -> BreakerState:
        """Closed, open, or half-open (cooling-down period over)."""
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_after:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open, only the one trial)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN:
            return False
        now = self._clock()
        if self._trial_started_at is None or now - self._trial_started_at >= self.reset_after:
            self._trial_started_at = now
            return True
        return False

    def record_success(self) -> None:
        """A call succeeded: close the circuit."""
        self._failures = 0
        self._opened_at = None
        self._trial_started_at = None

    def record_failure(self) -> None:
        """A call failed: count it, and open (or re-open) past the threshold."""
        self._failures += 1
        self._trial_started_at = None
        if self._failures >= self.failure_threshold or self._opened_at is not None:
            self._opened_at = self._clock()
            if self.name is not None:
                BREAKER_OPENED.labels(self.name).inc()

    def abandon(self) -> None:
        """A call ended without a verdict (it was cancelled): nothing is counted, and
        a trial it held is free again."""
        self._trial_started_at = None
