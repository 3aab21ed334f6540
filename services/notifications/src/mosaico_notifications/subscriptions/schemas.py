"""Subscriptions: which template goes out, over which channel, to whom, when another
module's event arrives."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from mosaico_shared.schemas import RequestBody
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from mosaico_notifications.channels import Channel
from mosaico_notifications.templates.schemas import TemplateKey

#: The events a tenant can subscribe to.
SubscribableEvent = Literal["UserInvited", "PasswordResetRequested", "LeadWon"]

Recipient = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=320)]

_EXAMPLE: JsonDict = {
    "enabled": True,
    "template": "negocio-ganho",
    "channel": "email",
    "to": "vendas@paoquente.com.br",
}


class SubscriptionUpdate(RequestBody):
    """What to send on the event. ``to`` is needed for events that name nobody
    (``LeadWon``): an e-mail address, or for webhooks whatever the receiver expects (a
    phone number); identity's events go to the address they carry unless ``to`` says."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    enabled: bool = True
    template: TemplateKey
    channel: Channel = "email"
    to: Recipient | None = None


class SubscriptionCreate(SubscriptionUpdate):
    """Send a message on ``event`` (an event may have several subscriptions)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"event": "LeadWon", **_EXAMPLE}]}
    )

    event: SubscribableEvent


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    event: SubscribableEvent
    enabled: bool
    template: str
    channel: Channel
    to: str | None = Field(description="null: the address the event carries")
    created_at: datetime
    updated_at: datetime
