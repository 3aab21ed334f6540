"""The base of every event payload: one model shared by the module that emits the event
and every module that consumes it."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

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
    def sealed_fields(cls) -> frozenset[str]:
        """Fields holding a sealed secret (``Sealed``): masked when a dead letter is shown."""
        return frozenset(
            name
            for name, field in cls.model_fields.items()
            if any(isinstance(m, _SealedMark) for m in field.metadata)
        )


class _SealedMark:
    """Marks a contract field as ``Sealed``."""


Sealed = Annotated[
    str,
    _SealedMark(),
    Field(
        min_length=1,
        max_length=4096,
        pattern=r"^[A-Za-z0-9_=-]+$",
        description="A secret sealed with the event sealing keys "
        "(mosaico_shared.events.sealing): only the modules given MOSAICO_EVENT_SEALING_KEYS "
        "can open it",
    ),
]
"""A secret the event must carry (an invite token, for the e-mail that sends it),
sealed by the producer: the outbox and the event log hold only ciphertext. A contract
never carries a secret in the clear."""


def redact(payload: dict[str, Any], contract: type[EventPayload] | None) -> dict[str, Any]:
    """``payload`` with the contract's sealed fields masked, for showing to people."""
    if contract is None:
        return payload
    hidden = contract.sealed_fields()
    return {k: ("**********" if k in hidden else v) for k, v in payload.items()}
