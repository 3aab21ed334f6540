"""Queries of the delivery worker: claiming due messages, recording how an attempt
went, and what a tenant database has waiting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import and_, func, or_, select, update

from mosaico_notifications.models import DeliveryLogEntry, Message


def _lease_expired() -> Any:
    return and_(Message.status == "sending", Message.lease_expires_at < func.now())


def due_condition() -> Any:
    """Queued and due, or being sent by a worker whose lease ran out (it died)."""
    return or_(
        and_(Message.status == "queued", Message.next_attempt_at <= func.now()),
        and_(_lease_expired(), Message.attempts < Message.max_attempts),
    )


class DeliveryRepository(RepositoryBase[Message]):
    model = Message

    async def claim_due(self, *, limit: int, lease_seconds: float) -> list[Message]:
        """Take up to ``limit`` due messages for this worker: each one's attempt count
        goes up and it is leased for ``lease_seconds``. Rows another worker is claiming
        are skipped, never waited for (``FOR UPDATE SKIP LOCKED``)."""
        due = (
            select(Message.id)
            .where(due_condition())
            .order_by(Message.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        lease = func.now() + func.make_interval(0, 0, 0, 0, 0, 0, lease_seconds)
        claimed = await self.session.scalars(
            update(Message)
            .where(Message.id == due.c.id)
            .values(status="sending", attempts=Message.attempts + 1, lease_expires_at=lease,
                    updated_at=func.now())
            .returning(Message)
            .execution_options(synchronize_session=False, populate_existing=True)
        )  # fmt: skip
        return list(claimed)

    async def fail_abandoned(self, *, error: str) -> list[Message]:
        """Messages whose last attempt's worker died: failed for good."""
        rows = await self.session.scalars(
            update(Message)
            .where(_lease_expired(), Message.attempts >= Message.max_attempts)
            .values(status="failed", failed_at=func.now(), last_error=error, html=None,
                    text=None, data=None, lease_expires_at=None, updated_at=func.now())
            .returning(Message)
            .execution_options(synchronize_session=False, populate_existing=True)
        )  # fmt: skip
        return list(rows)

    async def finish_attempt(
        self, message_id: uuid.UUID, attempt: int, values: dict[str, Any]
    ) -> bool:
        """Record how attempt ``attempt`` went, if this worker still holds the message
        (False when its lease ran out and another attempt began)."""
        result = await self.session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.status == "sending",
                Message.attempts == attempt,
            )
            .values(**values, lease_expires_at=None, updated_at=func.now())
            .returning(Message.id)
        )
        return result.first() is not None

    def add_log(self, message_id: uuid.UUID, status: str, attempt: int, error: str | None) -> None:
        """Stage one step of a message's delivery log."""
        self.session.add(
            DeliveryLogEntry(message_id=message_id, status=status, attempt=attempt, error=error)
        )

    async def due_summary(self) -> tuple[int, datetime | None]:
        """How many messages are due, and since when the oldest is."""
        row = (
            await self.session.execute(
                select(func.count(), func.min(Message.next_attempt_at)).where(due_condition())
            )
        ).one()
        return int(row[0]), row[1]
