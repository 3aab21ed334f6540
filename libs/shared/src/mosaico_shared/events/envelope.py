"""The envelope every event travels in: who emitted what, for which tenant, when."""

from __future__ import annotations

import builtins
import uuid
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mosaico_shared.contracts.events import EventPayload, subject_token
from mosaico_shared.tenancy.names import TENANT_SLUG_PATTERN

#: Message headers; ``Nats-Msg-Id`` makes a republish inside the duplicate window a no-op.
MSG_ID = "Nats-Msg-Id"
EVENT_TYPE = "Mosaico-Event-Type"
SCHEMA_VERSION = "Mosaico-Schema-Version"

P = TypeVar("P", bound=EventPayload)

SUBJECT_ROOT = "mosaico"


class Envelope(BaseModel):
    """One event as it travels: the message body, JSON."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: uuid.UUID
    type: str = Field(min_length=1, max_length=64, examples=["LeadWon"])
    tenant: str = Field(pattern=TENANT_SLUG_PATTERN, examples=["acme"])
    module: str = Field(min_length=1, max_length=32, examples=["crm"])
    occurred_at: AwareDatetime
    schema_version: int = Field(default=1, ge=1)
    payload: dict[str, Any]

    @property
    def subject(self) -> str:
        """Where it is published: ``mosaico.<tenant>.<module>.<event_snake>``."""
        return event_subject(self.tenant, self.module, self.type)

    def headers(self) -> dict[str, str]:
        """The headers it is published with."""
        return {
            MSG_ID: str(self.id),
            EVENT_TYPE: self.type,
            SCHEMA_VERSION: str(self.schema_version),
        }

    def encode(self) -> bytes:
        """The message body."""
        return self.model_dump_json().encode()

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """Read a message body (``pydantic.ValidationError`` when it is no envelope)."""
        return cls.model_validate_json(data)

    def open(self, contract: builtins.type[P]) -> Event[P]:
        """The event with its payload read as ``contract``."""
        return Event(
            id=self.id,
            type=self.type,
            tenant=self.tenant,
            module=self.module,
            occurred_at=self.occurred_at,
            schema_version=self.schema_version,
            payload=contract.model_validate(self.payload),
        )


class Event(BaseModel, Generic[P]):
    """An event as a consumer's handler receives it: the envelope, payload typed."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    type: str
    tenant: str
    module: str
    occurred_at: datetime
    schema_version: int
    payload: P


def event_subject(tenant: str, module: str, event_type: str) -> str:
    """``mosaico.<tenant>.<module>.<event_snake>`` (``LeadWon`` -> ``lead_won``)."""
    return f"{SUBJECT_ROOT}.{tenant}.{module}.{subject_token(event_type)}"


def subject_of(contract: type[EventPayload], *, tenant: str = "*") -> str:
    """The subject of ``contract``'s events for one tenant, or for all (``*``)."""
    return f"{SUBJECT_ROOT}.{tenant}.{contract.module}.{contract.subject_token()}"


def new_envelope(tenant: str, event: EventPayload, *, occurred_at: datetime) -> Envelope:
    """An envelope for ``event``, emitted now by its contract's module."""
    return Envelope(
        id=uuid.uuid4(),
        type=event.event_type(),
        tenant=tenant,
        module=type(event).module,
        occurred_at=occurred_at,
        schema_version=type(event).schema_version,
        payload=event.model_dump(mode="json"),
    )
