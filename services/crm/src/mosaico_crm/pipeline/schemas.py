"""Pipeline stage bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from mosaico_shared.schemas import RequestBody
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

StageKind = Literal["open", "won", "lost"]
StageName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class StageCreate(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "Demonstração", "kind": "open", "position": 2}]},
    )

    name: StageName
    kind: StageKind = "open"
    position: int | None = Field(
        default=None,
        ge=0,
        le=1000,
        description="Index among active stages; by default open stages go before the "
        "closing ones and closing stages go last.",
    )


class StageRename(RequestBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "Contato"}]})

    name: StageName


class StageOrder(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "stage_ids": [
                        "0b9c2d1e-6a55-4a0e-9a51-1f1c1a6b1001",
                        "0b9c2d1e-6a55-4a0e-9a51-1f1c1a6b1002",
                    ]
                }
            ]
        },
    )

    stage_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=200, description="Every active stage, once, in the new order."
    )


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: StageKind
    position: int
    archived_at: datetime | None
