"""Template bodies, previews and what a render gives."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from mosaico_shared.schemas import RequestBody
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

#: A template's name: what messages and subscriptions call it by.
TEMPLATE_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
#: Longest source of one part (subject, HTML or text).
MAX_SOURCE_CHARS = 100_000

TemplateKey = Annotated[
    str, StringConstraints(pattern=TEMPLATE_KEY_PATTERN), Field(examples=["boas-vindas"])
]
SubjectSource = Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
BodySource = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SOURCE_CHARS)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


def _plain_json(value: Any) -> Any:
    """Numbers as JSON has them: the services read JSON numbers as ``Decimal`` (never
    rounded); data is stored and handed to webhooks as JSON, so whole numbers become
    ``int`` and the others keep their exact digits as text (``19.90`` stays ``19.90``)."""
    if isinstance(value, Decimal):
        return (
            int(value) if value == value.to_integral_value() and value.is_finite() else str(value)
        )
    if isinstance(value, dict):
        return {key: _plain_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_json(item) for item in value]
    return value


TemplateData = Annotated[dict[str, Any], AfterValidator(_plain_json)]
"""What a template is rendered with: any JSON object."""

_TEMPLATE_EXAMPLE: JsonDict = {
    "description": "Boas-vindas a um cliente novo",
    "subject": "Bem-vindo(a), {{ nome }}!",
    "html": "<p>Olá, {{ nome }}!</p><p>Seu cadastro na {{ empresa }} está pronto.</p>",
    "text": "Olá, {{ nome }}!\n\nSeu cadastro na {{ empresa }} está pronto.\n",
}


class TemplateBody(RequestBody):
    """A template's three parts, Jinja2 (``{{ nome }}``, ``{% if %}``, filters); HTML is
    escaped as it renders, the subject and the text are not."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_TEMPLATE_EXAMPLE]})

    description: Description | None = None
    subject: SubjectSource
    html: BodySource
    text: BodySource


class TemplateCreate(TemplateBody):
    """A new template and the key messages and subscriptions will call it by."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"key": "boas-vindas", **_TEMPLATE_EXAMPLE}]},
    )

    key: TemplateKey


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    key: str
    description: str | None
    subject: str
    html: str
    text: str
    created_at: datetime
    updated_at: datetime


class PreviewRequest(RequestBody):
    """The data to render a stored template with."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"data": {"nome": "Carla", "empresa": "Pão Quente"}}]},
    )

    data: TemplateData = Field(default_factory=dict)


class DraftPreviewRequest(TemplateBody):
    """A template not saved yet, and the data to render it with."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{**_TEMPLATE_EXAMPLE, "data": {"nome": "Carla",
                                                                      "empresa": "Pão Quente"}}]},
    )  # fmt: skip

    data: TemplateData = Field(default_factory=dict)


class RenderedOut(BaseModel):
    """A template rendered: what the recipient would get."""

    subject: str
    html: str
    text: str
