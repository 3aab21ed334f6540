"""Category bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from mosaico_shared.schemas import RequestBody
from pydantic import BaseModel, ConfigDict, Field

TransactionType = Literal["income", "expense"]


class CategoryCreate(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"name": "Energia elétrica", "type": "expense"}]},
    )

    name: str = Field(min_length=1, max_length=50)
    type: TransactionType


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    type: TransactionType
    archived: bool
    created_at: datetime
