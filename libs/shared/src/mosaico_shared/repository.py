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

from sqlalchemy import ColumnElement, Select, Table, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mosaico_shared.problems import InvalidInput

ModelT = TypeVar("ModelT")
#: A column a page is ordered by: a table's (``table.c.created_at``) or a model's.
SortKey = ColumnElement[Any] | InstrumentedAttribute[Any]
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


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> tuple[Any, ...]:
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

    @classmethod
    def table(cls) -> Table:
        """The model's table, for statements that read plain rows."""
        table: Table = cls.model.__table__
        return table

    def rows_statement(
        self, columns: Sequence[str], *, include_deleted: bool = False
    ) -> Select[Any]:
        """``SELECT`` of the table's ``columns`` as plain rows, without soft-deleted rows
        unless ``include_deleted``.

        For reads that only answer with what they read (lists, mostly): no ORM object is
        built, tracked or expired per row, and the statement runs on SQLAlchemy Core's
        path. Filter it with the table's columns (:meth:`table`), not the model's
        attributes, or the ORM comes back in.
        """
        table = self.table()
        statement = select(*(table.c[name] for name in columns))
        if self.soft_delete_column is not None and not include_deleted:
            statement = statement.where(table.c[self.soft_delete_column].is_(None))
        return statement

    async def row_by_id(
        self, id: Any, columns: Sequence[str], *, include_deleted: bool = False
    ) -> dict[str, Any] | None:
        """``columns`` of the row with primary key ``id`` as a dict (see
        :meth:`rows_statement`), or None."""
        statement = self.rows_statement(columns, include_deleted=include_deleted)
        result = await self.session.execute(statement.where(self.table().c.id == id))
        row = result.one_or_none()
        return None if row is None else dict(zip(result.keys(), row, strict=True))

    async def keyset_page(
        self,
        statement: Select[ModelT],
        *,
        keys: Sequence[SortKey],
        limit: int,
        cursor: str | None = None,
        descending: bool = False,
    ) -> KeysetPage[ModelT]:
        """Up to ``limit`` rows of ``statement`` ordered by ``keys`` (the last of them
        unique, e.g. ``(created_at, id)``), after the row ``cursor`` points at.

        Unlike OFFSET, the cost of a page does not grow with how deep it is, and rows
        added meanwhile neither repeat nor vanish between pages.
        """
        paged = _keyset(statement, keys=keys, limit=limit, cursor=cursor, descending=descending)
        rows = list(await self.session.scalars(paged))
        if len(rows) <= limit:
            return KeysetPage(rows, None)
        rows = rows[:limit]
        last = rows[-1]
        return KeysetPage(rows, encode_cursor([getattr(last, _name(key)) for key in keys]))

    async def keyset_rows(
        self,
        statement: Select[Any],
        *,
        keys: Sequence[SortKey],
        limit: int,
        cursor: str | None = None,
        descending: bool = False,
    ) -> KeysetPage[dict[str, Any]]:
        """:meth:`keyset_page` for a :meth:`rows_statement`: each row a dict of its
        columns, ready to be rendered (``mosaico_shared.responses.json_response``)."""
        paged = _keyset(statement, keys=keys, limit=limit, cursor=cursor, descending=descending)
        result = await self.session.execute(paged)
        names = tuple(result.keys())
        rows = [dict(zip(names, row, strict=True)) for row in result.all()]
        if len(rows) <= limit:
            return KeysetPage(rows, None)
        rows = rows[:limit]
        last = rows[-1]
        return KeysetPage(rows, encode_cursor([last[_name(key)] for key in keys]))


def _name(key: SortKey) -> str:
    name = getattr(key, "key", None)
    if not isinstance(name, str):
        raise TypeError(f"{key!r} is not a named column")
    return name


def _keyset(
    statement: Select[Any],
    *,
    keys: Sequence[SortKey],
    limit: int,
    cursor: str | None,
    descending: bool,
) -> Select[Any]:
    if cursor is not None:
        after = decode_cursor(cursor, keys)
        position = tuple_(*keys)
        bound = tuple_(*after)
        statement = statement.where(position < bound if descending else position > bound)
    order = [key.desc() for key in keys] if descending else list(keys)
    return statement.order_by(*order).limit(limit + 1)
