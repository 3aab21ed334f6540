"""The base of every domain's repository: the soft-delete filter, row locks and keyset
pages written once, so no domain forgets one of them.

A domain subclasses it, names its model (and its soft-delete column, if any) and adds
the queries it needs; services call repositories and never build queries themselves::

    class LeadRepository(RepositoryBase[Lead]):
        model = Lead
        soft_delete_column = "deleted_at"
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mosaico_shared.problems import InvalidInput

ModelT = TypeVar("ModelT")
ItemT = TypeVar("ItemT")

#: What a keyset cursor may carry, by the Python type of the key column.
_DECODERS: dict[type[Any], Any] = {
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    uuid.UUID: uuid.UUID,
    Decimal: Decimal,
    int: int,
    str: str,
}


@dataclass(frozen=True, slots=True)
class KeysetPage(Generic[ItemT]):
    """One page and the opaque cursor of the next one (None on the last page)."""

    items: list[ItemT]
    next_cursor: str | None


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor holding the sort-key values of the last row of a page."""
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: Sequence[InstrumentedAttribute[Any]]) -> tuple[Any, ...]:
    """The key values a cursor carries, typed like ``keys``; ``InvalidInput`` (422) when
    the cursor was not made by :func:`encode_cursor` for these keys."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError("wrong number of keys")
        decoded = tuple(
            _DECODERS[key.type.python_type](value) for key, value in zip(keys, values, strict=True)
        )
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, ArithmeticError) as exc:
        raise InvalidInput("cursor: not a cursor this API returned.") from exc
    for value in decoded:
        if isinstance(value, datetime) and value.tzinfo is None:
            raise InvalidInput("cursor: not a cursor this API returned.")
    return decoded


class RepositoryBase(Generic[ModelT]):
    """Queries over one model in the request's session."""

    model: ClassVar[type[Any]]
    #: The column that marks a row as deleted (``deleted_at``, ``archived_at``); rows with
    #: it set are left out of :meth:`base_statement`. None when rows are really deleted.
    soft_delete_column: ClassVar[str | None] = None

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def base_statement(self, *, include_deleted: bool = False) -> Select[ModelT]:
        """``SELECT model``, without soft-deleted rows unless ``include_deleted``."""
        statement: Select[ModelT] = select(self.model)
        if self.soft_delete_column is not None and not include_deleted:
            statement = statement.where(getattr(self.model, self.soft_delete_column).is_(None))
        return statement

    async def get_by_id(
        self,
        id: Any,
        *,
        for_update: bool = False,
        include_deleted: bool = False,
        statement: Select[ModelT] | None = None,
    ) -> ModelT | None:
        """The row with primary key ``id`` in ``statement`` (the base statement by
        default, so soft-deleted rows stay hidden), locked ``FOR UPDATE`` when asked."""
        query = (
            statement
            if statement is not None
            else self.base_statement(include_deleted=include_deleted)
        )
        query = query.where(self.model.id == id)
        if for_update:
            # A locked read must see the row as it is now, not as this session last
            # loaded it: the lock may have waited for another transaction's change.
            query = query.with_for_update().execution_options(populate_existing=True)
        result: ModelT | None = await self.session.scalar(query)
        return result

    async def keyset_page(
        self,
        statement: Select[ModelT],
        *,
        keys: Sequence[InstrumentedAttribute[Any]],
        limit: int,
        cursor: str | None = None,
        descending: bool = False,
    ) -> KeysetPage[ModelT]:
        """Up to ``limit`` rows of ``statement`` ordered by ``keys`` (the last of them
        unique, e.g. ``(created_at, id)``), after the row ``cursor`` points at.

        Unlike OFFSET, the cost of a page does not grow with how deep it is, and rows
        added meanwhile neither repeat nor vanish between pages.
        """
        if cursor is not None:
            after = decode_cursor(cursor, keys)
            position = tuple_(*keys)
            bound = tuple_(*after)
            statement = statement.where(position < bound if descending else position > bound)
        order = [key.desc() for key in keys] if descending else list(keys)
        rows = list(await self.session.scalars(statement.order_by(*order).limit(limit + 1)))
        if len(rows) <= limit:
            return KeysetPage(rows, None)
        rows = rows[:limit]
        last = rows[-1]
        return KeysetPage(rows, encode_cursor([getattr(last, key.key) for key in keys]))
