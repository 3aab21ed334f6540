"""Activity bodies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from mosaico_shared.schemas import RequestBody
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    model_validator,
)

ActivityKind = Literal["call", "meeting", "email", "task"]


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


class ActivityCreate(RequestBody):
    """A call, meeting or e-mail that happened, or a task with a due date."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "call", "subject": "Primeiro contato", "notes": "Retornar na segunda"},
                {
                    "kind": "task",
                    "subject": "Enviar proposta",
                    "due_at": "2026-12-01T15:00:00Z",
                },
            ]
        },
    )

    kind: ActivityKind
    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    notes: Annotated[str, StringConstraints(max_length=5000)] | None = None
    due_at: Annotated[AwareDatetime, AfterValidator(_in_utc)] | None = None

    @model_validator(mode="after")
    def _tasks_have_a_due_date(self) -> ActivityCreate:
        if self.kind == "task" and self.due_at is None:
            raise ValueError("a task needs due_at")
        if self.kind != "task" and self.due_at is not None:
            raise ValueError("only tasks have a due_at")
        return self


class ActivityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    lead_id: uuid.UUID
    kind: ActivityKind
    subject: str
    notes: str | None
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: uuid.UUID | None
    created_by: uuid.UUID
    created_at: datetime
