"""Lead bodies."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from mosaico_shared.brazil import PhoneBR, cnpj_characters, cpf_digits
from mosaico_shared.money import Money, NonNegativeMoney
from mosaico_shared.schemas import RequestBody
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic.config import JsonDict

LeadStatus = Literal["open", "won", "lost"]


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _cpf_or_cnpj(value: str) -> str:
    document = cpf_digits(value) or cnpj_characters(value)
    if document is None:
        raise ValueError(
            "not a valid CPF or CNPJ (digits, or a CNPJ's letters, with the usual "
            "punctuation, and matching check digits)"
        )
    return document


LeadDocument = Annotated[
    str,
    BeforeValidator(_strip),
    Field(max_length=18, examples=["11.222.333/0001-81", "12.ABC.345/01DE-35"]),
    AfterValidator(_cpf_or_cnpj),
]
"""A CPF (11 digits) or CNPJ (14 characters, alphanumeric since 2026), validated by
check digits, stored without punctuation."""

LeadValue = NonNegativeMoney
"""An estimated value: zero or more, in cents (``1500.5`` becomes ``1500.50``)."""
Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=40)
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
Notes = Annotated[str, StringConstraints(max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

_LEAD_EXAMPLE: JsonDict = {
    "name": "Carla Mendes",
    "company": "Padaria Pão Quente LTDA",
    "document": "11.222.333/0001-81",
    "email": "carla@paoquente.com.br",
    "phone": "+55 11 98765-4321",
    "source": "whatsapp",
    "estimated_value": "15000.00",
    "tags": ["varejo", "sp"],
    "notes": "Quer orçamento para 3 lojas.",
}


def _unique_tags(tags: list[str] | None) -> list[str] | None:
    return list(dict.fromkeys(tags)) if tags is not None else None


class LeadCreate(RequestBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_LEAD_EXAMPLE]})

    name: Name
    company: ShortText | None = None
    document: LeadDocument | None = None
    email: EmailStr | None = None
    phone: PhoneBR | None = Field(default=None, description="Phone or WhatsApp, stored as E.164")
    source: Source | None = None
    estimated_value: LeadValue = Decimal("0.00")
    owner_id: uuid.UUID | None = Field(
        default=None, description="A user of the tenant; the creator by default"
    )
    tags: Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique_tags)] = Field(
        default_factory=list
    )
    notes: Notes | None = None
    stage_id: uuid.UUID | None = Field(
        default=None, description="An open stage; the pipeline's first stage by default"
    )


class LeadUpdate(RequestBody):
    """Only the fields sent change; ``null`` clears an optional field."""

    not_nullable = ("name", "estimated_value", "owner_id", "tags")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"estimated_value": "18500.00", "tags": ["varejo"]}]},
    )

    name: Name | None = None
    company: ShortText | None = None
    document: LeadDocument | None = None
    email: EmailStr | None = None
    phone: PhoneBR | None = None
    source: Source | None = None
    estimated_value: LeadValue | None = None
    owner_id: uuid.UUID | None = None
    tags: Annotated[list[Tag], Field(max_length=20), AfterValidator(_unique_tags)] | None = None
    notes: Notes | None = None


class LeadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    company: str | None
    document: str | None
    document_kind: Literal["cpf", "cnpj"] | None
    email: str | None
    phone: str | None
    source: str | None
    estimated_value: Money
    owner_id: uuid.UUID
    created_by: uuid.UUID
    tags: list[str]
    notes: str | None
    stage_id: uuid.UUID
    status: LeadStatus
    close_reason: str | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadPage(BaseModel):
    items: list[LeadOut]
    limit: int
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last page"
    )


class StageMoveRequest(RequestBody):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"stage_id": "0b9c2d1e-6a55-4a0e-9a51-1f1c1a6b1003", "reason": "Pediu proposta"}
            ]
        },
    )

    stage_id: uuid.UUID
    reason: Reason | None = Field(
        default=None, description="Why; kept as the close reason when the stage is won/lost"
    )


class CloseRequest(RequestBody):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "Fechou contrato anual"}]}
    )

    reason: Reason


class StageMoveOut(BaseModel):
    id: uuid.UUID
    from_stage_id: uuid.UUID | None = Field(description="null for the lead's creation")
    from_stage_name: str | None
    to_stage_id: uuid.UUID
    to_stage_name: str
    moved_by: uuid.UUID
    moved_at: datetime
    reason: str | None
