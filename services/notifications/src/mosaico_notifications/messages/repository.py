"""Queries over messages and their delivery log."""

from __future__ import annotations

import uuid
from typing import Any

from mosaico_shared.repository import KeysetPage, RepositoryBase
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from mosaico_notifications.models import DeliveryLogEntry, Message


class MessageRepository(RepositoryBase[Message]):
    model = Message

    async def by_idempotency_key(self, key: str) -> Message | None:
        """The message a request (or an event) with ``key`` made."""
        return await self.session.scalar(select(Message).where(Message.idempotency_key == key))

    async def insert_new(self, values: dict[str, Any]) -> Message | None:
        """Insert a message unless its idempotency key is taken; a concurrent insert of
        the same key waits for the other transaction and then finds it taken."""
        inserted = await self.session.scalar(
            insert(Message)
            .values(values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(Message.id)
        )
        if inserted is None:
            return None
        return await self.get_by_id(inserted)

    async def page(
        self, *, status: str | None, limit: int, cursor: str | None
    ) -> KeysetPage[Message]:
        """Newest first, one page after the cursor's message."""
        statement = self.base_statement()
        if status is not None:
            statement = statement.where(Message.status == status)
        return await self.keyset_page(
            statement, keys=(Message.created_at, Message.id), limit=limit, cursor=cursor,
            descending=True,
        )  # fmt: skip

    def add_log(self, message_id: uuid.UUID, status: str, attempt: int, error: str | None) -> None:
        """Stage one step of a message's delivery log."""
        self.session.add(
            DeliveryLogEntry(message_id=message_id, status=status, attempt=attempt, error=error)
        )

    async def log_of(self, message_id: uuid.UUID) -> list[DeliveryLogEntry]:
        """The message's delivery log, oldest first."""
        rows = await self.session.scalars(
            select(DeliveryLogEntry)
            .where(DeliveryLogEntry.message_id == message_id)
            .order_by(DeliveryLogEntry.id)
        )
        return list(rows)
