"""Dead letters of a module's consumers: listed, shown and replayed.

Replaying runs the message through the same consumer path as a delivery (handler and
event-id record in one transaction), on the replica that was asked; once the event is
applied (or found applied already), the dead letter is removed. Replaying twice, or
from two replicas at once, applies the event once.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError
from pydantic import ValidationError

from mosaico_shared.contracts.catalog import CONTRACT_EVENTS
from mosaico_shared.contracts.events import redact
from mosaico_shared.events.bus import EventBus
from mosaico_shared.events.consumer import (
    ATTEMPTS,
    CONSUMER,
    ERROR,
    FAILED_AT,
    ORIGINAL_SEQUENCE,
    ORIGINAL_SUBJECT,
    ApplyFailed,
    ConsumerRunner,
)
from mosaico_shared.events.envelope import Envelope
from mosaico_shared.events.metrics import DEAD_LETTER_DEPTH
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.events.streams import DEAD_LETTER_ROOT

logger = logging.getLogger("mosaico.events")

ReplayOutcome = Literal["applied", "duplicate", "skipped"]


@dataclass
class DeadLetter:
    """One message a consumer gave up on."""

    sequence: int
    tenant: str
    consumer: str
    error: str
    attempts: int
    failed_at: datetime | None
    subject: str
    stream_sequence: int | None
    event: dict[str, Any] | None
    raw: bytes

    def shown(self) -> dict[str, Any]:
        """For people: the envelope with the contract's secret fields masked."""
        if self.event is None:
            return {"undecodable": self.raw[:2000].decode(errors="replace")}
        contract = CONTRACT_EVENTS.get(str(self.event.get("type")))
        payload = self.event.get("payload")
        if isinstance(payload, dict):
            return {**self.event, "payload": redact(payload, contract)}
        return self.event


class DeadLetterNotFound(Exception):
    """No dead letter of this module at that sequence."""


class ReplayFailed(Exception):
    """The consumer failed again; the dead letter stays."""


class DeadLetters:
    """The dead-letter stream, as one module sees it (its own consumers only)."""

    def __init__(
        self,
        bus: EventBus,
        settings: EventSettings,
        module: str,
        runners: dict[str, ConsumerRunner],
    ) -> None:
        self.bus = bus
        self.settings = settings
        self.module = module
        self.runners = runners

    def _filter(self, tenant: str | None = None, consumer: str | None = None) -> str:
        return f"{DEAD_LETTER_ROOT}.{tenant or '*'}.{self.module}.{consumer or '*'}"

    def _read(self, message: RawStreamMsg) -> DeadLetter:
        subject = message.subject or ""
        tokens = subject.split(".")
        headers = message.headers or {}
        raw = message.data or b""
        try:
            event: dict[str, Any] | None = json.loads(raw)
            if not isinstance(event, dict):
                event = None
        except ValueError:
            event = None
        failed_at = headers.get(FAILED_AT)
        return DeadLetter(
            sequence=int(message.seq or 0),
            tenant=tokens[1] if len(tokens) > 3 else "",
            consumer=headers.get(CONSUMER, tokens[-1]),
            error=headers.get(ERROR, ""),
            attempts=int(headers.get(ATTEMPTS, "0") or 0),
            failed_at=datetime.fromisoformat(failed_at) if failed_at else None,
            subject=headers.get(ORIGINAL_SUBJECT, ""),
            stream_sequence=int(headers[ORIGINAL_SEQUENCE])
            if ORIGINAL_SEQUENCE in headers
            else None,
            event=event,
            raw=raw,
        )

    async def list(
        self,
        *,
        tenant: str | None = None,
        consumer: str | None = None,
        after: int = 0,
        limit: int = 100,
    ) -> list[DeadLetter]:
        """Dead letters of this module (for ``tenant`` and ``consumer`` when given), in
        stream order, from the sequence after ``after``."""
        js = self.bus.js
        found: list[DeadLetter] = []
        cursor = after + 1
        subject = self._filter(tenant, consumer)
        while len(found) < limit:
            try:
                message = await js.get_msg(
                    self.settings.dead_letter_stream, seq=cursor, subject=subject, next=True
                )
            except NotFoundError:
                break
            found.append(self._read(message))
            cursor = int(message.seq or cursor) + 1
        return found

    async def get(self, sequence: int) -> DeadLetter:
        """One dead letter of this module by its sequence in the dead-letter stream."""
        try:
            message = await self.bus.js.get_msg(self.settings.dead_letter_stream, seq=sequence)
        except NotFoundError as exc:
            raise DeadLetterNotFound(sequence) from exc
        letter = self._read(message)
        tokens = (message.subject or "").split(".")
        if len(tokens) != 4 or tokens[0] != DEAD_LETTER_ROOT or tokens[2] != self.module:
            raise DeadLetterNotFound(sequence)
        return letter

    async def replay(self, sequence: int) -> ReplayOutcome:
        """Apply the dead letter's event once more through its consumer; remove the
        dead letter when it is applied (or was already). ``ReplayFailed`` otherwise."""
        letter = await self.get(sequence)
        runner = self.runners.get(letter.consumer)
        if runner is None:
            raise ReplayFailed(f"{letter.consumer} is not a consumer of {self.module}")
        try:
            envelope = Envelope.decode(letter.raw)
        except ValidationError as exc:
            raise ReplayFailed(
                f"the message is not an event envelope ({exc.error_count()} errors)"
            ) from exc
        try:
            outcome = await runner.apply(envelope)
        except ApplyFailed as failed:
            cause = failed.__cause__ or failed
            raise ReplayFailed(f"{type(cause).__name__}: {cause}"[:500]) from cause
        with contextlib.suppress(NotFoundError):  # another replay removed it first
            await self.bus.js.delete_msg(self.settings.dead_letter_stream, sequence)
        logger.info(
            "events: dead letter %d replayed through %s: %s", sequence, letter.consumer, outcome,
            extra={"tenant": letter.tenant, "event": "dead_letter_replayed"},
        )  # fmt: skip
        return outcome

    async def depth(self) -> int:
        """How many dead letters wait for this module's consumers."""
        info = await self.bus.js.stream_info(
            self.settings.dead_letter_stream, subjects_filter=self._filter()
        )
        subjects = info.state.subjects or {}
        count = sum(subjects.values())
        DEAD_LETTER_DEPTH.labels(self.module).set(count)
        return count
