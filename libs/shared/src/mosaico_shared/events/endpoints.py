"""``/<module>/internal/dead-letters``: list, show and replay the module's dead letters.

Internal: only the operator's caller identity (the platform's tooling) may use it; it is
never in the public OpenAPI and never behind the Ingress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from mosaico_shared.auth.callers import OPERATOR, RequireCaller
from mosaico_shared.events.bus import NatsAway
from mosaico_shared.events.dead_letters import (
    DeadLetter,
    DeadLetterNotFound,
    DeadLetters,
    ReplayFailed,
    ReplayOutcome,
)
from mosaico_shared.problems import Conflict, DependencyUnavailable, NotFound, problem_responses
from mosaico_shared.tenancy.names import TENANT_SLUG_PATTERN


class DeadLetterOut(BaseModel):
    """A message one of the module's consumers gave up on."""

    sequence: int = Field(description="Its sequence in the dead-letter stream")
    tenant: str
    consumer: str = Field(examples=["finance-payment-income"])
    error: str = Field(description="The last attempt's error")
    attempts: int
    failed_at: datetime | None
    subject: str = Field(description="Where the event was published")
    stream_sequence: int | None = Field(description="Its sequence in the event stream")
    event: dict[str, Any] = Field(description="The event envelope, secrets masked")

    @classmethod
    def of(cls, letter: DeadLetter) -> DeadLetterOut:
        return cls(
            sequence=letter.sequence,
            tenant=letter.tenant,
            consumer=letter.consumer,
            error=letter.error,
            attempts=letter.attempts,
            failed_at=letter.failed_at,
            subject=letter.subject,
            stream_sequence=letter.stream_sequence,
            event=letter.shown(),
        )


class ReplayResult(BaseModel):
    """What replaying one dead letter did."""

    sequence: int
    outcome: ReplayOutcome = Field(
        description="applied now, already applied before (duplicate), or not for this "
        "module's tenant (skipped); the dead letter is removed in every case"
    )


class ReplayFailure(BaseModel):
    sequence: int
    error: str


class TenantReplayResult(BaseModel):
    """What replaying every dead letter of a tenant did."""

    tenant: str
    replayed: list[ReplayResult]
    failed: list[ReplayFailure] = Field(description="still dead letters, with the new error")


async def _dead_letters(request: Request) -> DeadLetters:
    letters: DeadLetters = request.app.state.events.dead_letters
    if not letters.bus.connected:
        raise DependencyUnavailable("NATS is not reachable; dead letters cannot be read now.")
    return letters


Letters = Annotated[DeadLetters, Depends(_dead_letters)]
#: JetStream numbers a stream's messages with unsigned 64-bit integers: a larger number
#: is a 422 here, not an error from the server.
LAST_SEQUENCE = 2**64 - 1
Sequence = Annotated[
    int, PathParam(ge=1, le=LAST_SEQUENCE, description="Sequence in the dead-letter stream")
]
TenantQuery = Query(pattern=TENANT_SLUG_PATTERN, examples=["acme"])


def dead_letter_router(module: str) -> APIRouter:
    """The module's dead-letter API under ``/<module>/internal/dead-letters``."""
    router = APIRouter(
        prefix=f"/{module}/internal/dead-letters",
        tags=["internal"],
        dependencies=[Depends(RequireCaller(OPERATOR))],
    )
    unavailable = problem_responses(DependencyUnavailable)

    @router.get("", response_model=list[DeadLetterOut], responses=unavailable)
    async def list_dead_letters(
        letters: Letters,
        tenant: Annotated[str | None, TenantQuery] = None,
        consumer: Annotated[str | None, Query(pattern=r"^[a-z0-9-]{1,32}$")] = None,
        after: Annotated[
            int, Query(ge=0, le=LAST_SEQUENCE - 1, description="Sequence to list after")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[DeadLetterOut]:
        """Dead letters of this module's consumers, oldest first."""
        try:
            found = await letters.list(tenant=tenant, consumer=consumer, after=after, limit=limit)
        except NatsAway as exc:
            raise DependencyUnavailable(str(exc)) from exc
        return [DeadLetterOut.of(letter) for letter in found]

    @router.get(
        "/{sequence}",
        response_model=DeadLetterOut,
        responses=problem_responses(NotFound, DependencyUnavailable),
    )
    async def show_dead_letter(letters: Letters, sequence: Sequence) -> DeadLetterOut:
        """One dead letter: the event, the error, the consumer and the attempts."""
        try:
            return DeadLetterOut.of(await letters.get(sequence))
        except DeadLetterNotFound as exc:
            raise NotFound(f"No dead letter of {module} at sequence {sequence}.") from exc

    @router.post(
        "/{sequence}/replay",
        response_model=ReplayResult,
        responses=problem_responses(NotFound, Conflict, DependencyUnavailable),
    )
    async def replay_dead_letter(letters: Letters, sequence: Sequence) -> ReplayResult:
        """Apply the event through its consumer once more (at most once in effect)."""
        try:
            outcome = await letters.replay(sequence)
        except DeadLetterNotFound as exc:
            raise NotFound(f"No dead letter of {module} at sequence {sequence}.") from exc
        except ReplayFailed as exc:
            raise Conflict(f"The replay failed again: {exc}") from exc
        return ReplayResult(sequence=sequence, outcome=outcome)

    @router.post(
        "/replay",
        response_model=TenantReplayResult,
        responses=problem_responses(DependencyUnavailable),
    )
    async def replay_tenant_dead_letters(
        letters: Letters, tenant: Annotated[str, TenantQuery]
    ) -> TenantReplayResult:
        """Replay every dead letter of ``tenant`` in this module, oldest first."""
        result = TenantReplayResult(tenant=tenant, replayed=[], failed=[])
        after = 0
        while batch := await letters.list(tenant=tenant, after=after, limit=100):
            for letter in batch:
                try:
                    outcome = await letters.replay(letter.sequence)
                    result.replayed.append(ReplayResult(sequence=letter.sequence, outcome=outcome))
                except DeadLetterNotFound:
                    continue
                except ReplayFailed as exc:
                    result.failed.append(ReplayFailure(sequence=letter.sequence, error=str(exc)))
            after = batch[-1].sequence
        return result

    return router
