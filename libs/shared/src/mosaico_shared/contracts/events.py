"""The base of every event payload: one model shared by the module that emits the event
and every module that consumes it."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, PlainSerializer, SecretStr

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def subject_token(event_type: str) -> str:
    """An event type as the last token of its subject (``LeadWon`` -> ``lead_won``)."""
    return _WORD_START.sub("_", event_type).lower()


class EventPayload(BaseModel):
    """A contract event's payload. Its class name is the event type (``LeadWon``),
    ``schema_version`` grows when a change would break a consumer, and ``module`` names
    the module that emits it. Consumers ignore fields they do not know yet, so a
    producer may add optional fields without a new version."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    module: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    @classmethod
    def event_type(cls) -> str:
        """The event's type on the wire: the class name."""
        return cls.__name__

    @classmethod
    def subject_token(cls) -> str:
        """The last token of the event's subject (``LeadWon`` -> ``lead_won``)."""
        return subject_token(cls.__name__)

    @classmethod
    def secret_fields(cls) -> frozenset[str]:
        """Fields holding a secret (an invite token): never logged, hidden when a dead
        letter is shown."""
        return frozenset(
            name for name, field in cls.model_fields.items() if field.annotation is SecretStr
        )


def _reveal(value: SecretStr) -> str:
    return value.get_secret_value()


SecretText = Annotated[SecretStr, PlainSerializer(_reveal, return_type=str, when_used="json")]
"""A secret the event must carry (an invite token, for the e-mail that sends it): masked
in ``repr`` and logs, written out in the event's JSON."""


def redact(payload: dict[str, Any], contract: type[EventPayload] | None) -> dict[str, Any]:
    """``payload`` with the contract's secret fields masked, for showing to people."""
    if contract is None:
        return payload
    hidden = contract.secret_fields()
    return {k: ("**********" if k in hidden else v) for k, v in payload.items()}
