"""The base of finance's request bodies."""

from __future__ import annotations

from pydantic import BaseModel, field_validator


class RequestBody(BaseModel):
    """Refuses text holding a NUL character, naming the field: PostgreSQL cannot store
    it, and the client should hear which field was wrong rather than a generic error."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul_characters(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value
