"""The base of every request body the services accept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

#: For query parameters: PostgreSQL text cannot hold NUL characters.
NO_NUL = r"^[^\x00]*$"


def _field_with_nul(value: Any, path: str = "") -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(value))
    else:
        return None
    return next((found for p, v in items if (found := _field_with_nul(v, p)) is not None), None)


class RequestBody(BaseModel):
    """Unknown fields are refused, and so is text PostgreSQL could not store (NUL)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul_characters(cls, data: Any) -> Any:
        field = _field_with_nul(data)
        if field is not None:
            raise ValueError(f"{field}: text cannot contain NUL (\\u0000) characters")
        return data
