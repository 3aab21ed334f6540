"""Events identity emits, written to the outbox in the transaction of the change; the
contracts live in ``mosaico_shared.contracts.identity`` (notifications reads the same
models to send the e-mail)."""

from __future__ import annotations

from mosaico_shared.contracts.identity import IdentityEvent
from mosaico_shared.outbox import record_event
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.models.tenant import OutboxEvent


def record_identity_event(
    session: AsyncSession, *, tenant: str, event: IdentityEvent
) -> OutboxEvent:
    """Add ``event`` to the tenant's outbox; it commits or rolls back with the change."""
    return record_event(session, OutboxEvent, tenant=tenant, module="identity", event=event)
