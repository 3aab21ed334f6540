"""Message requests, messages and their delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from mosaico_shared.schemas import RequestBody
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mosaico_notifications.channels import Channel
from mosaico_notifications.subscriptions.schemas import Recipient
from mosaico_notifications.templates.schemas import TemplateData, TemplateKey

MessageStatus = Literal["queued", "sending", "sent", "failed"]
LogStatus = Literal["queued", "sending", "sent", "retrying", "failed"]

#: What an ``Idempotency-Key`` may be: printable ASCII, no spaces (a UUID, say).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
IdempotencyKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN)]


class MessageRequest(RequestBody):
    """Send ``template`` rendered with ``data`` to ``to`` over ``channel``: e-mail (``to``
    is an address) or the tenant's webhook (``to`` is what the receiver expects, say a
    WhatsApp number; optional)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "email",
                    "to": "carla@paoquente.com.br",
                    "template": "aviso",
                    "data": {
                        "nome": "Carla",
                        "assunto": "Seu pedido saiu para entrega",
                        "mensagem": "O pedido 1042 da Padaria Pão Quente saiu para entrega.",
                    },
                }
            ]
        },
    )

    channel: Channel
    to: Recipient | None = None
    template: TemplateKey
    data: TemplateData = Field(default_factory=dict)


class LogEntryOut(BaseModel):
    status: LogStatus
    attempt: int
    error: str | None
    at: datetime


class MessageOut(BaseModel):
    """A message and where its delivery stands (its content is not shown: it may carry
    a link with a token; the template's preview shows what recipients get)."""

    id: uuid.UUID
    source: Literal["api", "event"]
    channel: Channel
    to: str | None
    template: str
    subject: str
    status: MessageStatus
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None = Field(description="When the next attempt is due")
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None


class MessageDetail(MessageOut):
    log: list[LogEntryOut]


class MessagePage(BaseModel):
    items: list[MessageOut]
    limit: int
    next_cursor: str | None = Field(
        description="Pass as ``cursor`` for the next page; null on the last page"
    )
