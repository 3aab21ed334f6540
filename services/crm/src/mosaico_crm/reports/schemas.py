"""Report bodies."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from mosaico_shared.money import MoneySum
from pydantic import BaseModel, ConfigDict, Field

from mosaico_crm.pipeline.schemas import StageKind


class StageTotals(BaseModel):
    stage_id: uuid.UUID
    name: str
    kind: StageKind
    archived: bool
    count: int = Field(description="Leads created in the period that are in this stage now")
    value: MoneySum = Field(description="Sum of their estimated values (exact, BRL)")


class StageConversion(BaseModel):
    from_stage_id: uuid.UUID
    from_stage_name: str
    to_stage_id: uuid.UUID
    to_stage_name: str
    entered: int = Field(description="Leads that entered the first stage in the period")
    advanced: int = Field(
        description="Of those, the ones that later (in the period) reached the next stage "
        "or any stage after it"
    )
    rate: Decimal | None = Field(description="advanced / entered, 4 places; null when none entered")


class PipelineSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_date: date = Field(alias="from")
    to_date: date = Field(alias="to")
    total_count: int
    total_value: MoneySum
    stages: list[StageTotals]
    conversions: list[StageConversion]
