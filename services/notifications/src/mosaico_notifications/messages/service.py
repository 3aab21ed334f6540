"""Messages: accepted once per idempotency key, rendered when accepted, queued for the
delivery worker; and the delivery log a tenant reads."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.channels import Channel, checked_recipient
from mosaico_notifications.events import record_delivery_outcome
from mosaico_notifications.messages.repository import MessageRepository
from mosaico_notifications.messages.schemas import (
    LogEntryOut,
    MessageDetail,
    MessageOut,
    MessageRequest,
)
from mosaico_notifications.models import Message
from mosaico_notifications.providers.service import webhook_configured
from mosaico_notifications.settings import NotificationsSettings
from mosaico_notifications.templates import service as templates
from mosaico_notifications.templates.schemas import RenderedOut


def fingerprint(document: Any) -> str:
    """SHA-256 of a JSON document in one canonical form (key order and spacing do not
    change it)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def message_out(message: Message) -> MessageOut:
    """What the API shows of a message."""
    return MessageOut(
        id=message.id, source=message.source, channel=message.channel,
        to=message.recipient, template=message.template_key, subject=message.subject,
        status=message.status, attempts=message.attempts,
        max_attempts=message.max_attempts,
        next_attempt_at=message.next_attempt_at if message.status == "queued" else None,
        last_error=message.last_error, created_at=message.created_at,
        updated_at=message.updated_at, sent_at=message.sent_at, failed_at=message.failed_at,
    )  # fmt: skip


def recipient_for(channel: Channel, to: str | None) -> str | None:
    """``to`` checked for ``channel`` (422 when it does not fit)."""
    try:
        recipient = checked_recipient(channel, to)
    except ValueError as exc:
        raise InvalidInput(f"to: {exc}.") from None
    if channel == "email" and recipient is None:
        raise InvalidInput("to: an e-mail needs its recipient's address.")
    return recipient


async def queue_message(
    session: AsyncSession,
    *,
    tenant: str,
    idempotency_key: str,
    request_hash: str,
    source: str,
    channel: Channel,
    recipient: str | None,
    template_key: str,
    rendered: RenderedOut | None,
    data: dict[str, Any],
    max_attempts: int,
    event_id: uuid.UUID | None = None,
    failure: str | None = None,
) -> Message | None:
    """Queue a rendered message, or record one that ``failure`` kept from being sent
    (and write ``MessageFailed``); None when the idempotency key is taken already."""
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": uuid.uuid4(), "idempotency_key": idempotency_key, "request_hash": request_hash,
        "source": source, "event_id": event_id, "channel": channel, "recipient": recipient,
        "template_key": template_key, "max_attempts": max_attempts,
    }  # fmt: skip
    if failure is None and rendered is not None:
        values.update(subject=rendered.subject, html=rendered.html, text=rendered.text,
                      data=data, status="queued")  # fmt: skip
    else:
        values.update(subject="", status="failed", failed_at=now, last_error=failure)
    messages = MessageRepository(session)
    message = await messages.insert_new(values)
    if message is None:
        return None
    messages.add_log(message.id, "queued", 0, None)
    if message.status == "failed":
        messages.add_log(message.id, "failed", 0, failure)
        record_delivery_outcome(session, tenant=tenant, message=message, attempts=0,
                                error=failure or "not sent")  # fmt: skip
    message.first_response = message_out(message).model_dump(mode="json")
    await session.flush()
    return message


async def _replay(session: AsyncSession, key: str, request_hash: str) -> dict[str, Any] | None:
    existing = await MessageRepository(session).by_idempotency_key(key)
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise InvalidInput(
            "Idempotency-Key: already used for another request; send that request again, "
            "or this one with a new key.",
            errors=[{"loc": ["header", "idempotency-key"], "msg": "used for another request",
                     "type": "idempotency_key_reused"}],
        )  # fmt: skip
    return existing.first_response


async def send_message(
    session: AsyncSession,
    *,
    tenant: str,
    idempotency_key: str,
    body: MessageRequest,
    settings: NotificationsSettings,
) -> tuple[dict[str, Any], bool]:
    """Accept a message once per idempotency key: the first request queues it, a
    repeat gets the first answer (``True``: replayed), the same key with another
    request is a 422. Unknown templates, bad recipients, oversized data, templates that
    do not render and a webhook without an endpoint are refused before anything is
    queued."""
    request_hash = fingerprint(body.model_dump(mode="json"))
    # Keys of their own: a client's key never meets the one an event's message has.
    idempotency_key = f"api:{idempotency_key}"
    replayed = await _replay(session, idempotency_key, request_hash)
    if replayed is not None:
        return replayed, True
    recipient = recipient_for(body.channel, body.to)
    if body.channel == "webhook" and not await webhook_configured(session):
        raise Conflict("channel: the tenant has no webhook endpoint; set one in /providers.")
    templates.ensure_data_fits(body.data, settings.message_data_max_bytes)
    template = await templates.template_named(session, body.template)
    rendered = templates.render(template, body.data, max_chars=settings.rendered_max_chars)
    message = await queue_message(
        session, tenant=tenant, idempotency_key=idempotency_key, request_hash=request_hash, source="api",
        channel=body.channel, recipient=recipient, template_key=body.template,
        rendered=rendered, data=body.data, max_attempts=settings.delivery_max_attempts,
    )  # fmt: skip
    if message is None:  # a concurrent request with the same key got there first
        replayed = await _replay(session, idempotency_key, request_hash)
        if replayed is None:
            raise Conflict("Idempotency-Key: a request with this key is still being handled.")
        return replayed, True
    assert message.first_response is not None
    return message.first_response, False


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> MessageDetail:
    """A message with its delivery log; 404 when there is none."""
    messages = MessageRepository(session)
    message = await messages.get_by_id(message_id)
    if message is None:
        raise NotFound(f"No message {message_id}.")
    log = [
        LogEntryOut.model_validate(entry, from_attributes=True)
        for entry in await messages.log_of(message_id)
    ]
    return MessageDetail(**message_out(message).model_dump(), log=log)


async def list_messages(
    session: AsyncSession, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[MessageOut], str | None]:
    """A page of messages, newest first, and the cursor of the next one."""
    page = await MessageRepository(session).page(status=status, limit=limit, cursor=cursor)
    return [message_out(m) for m in page.items], page.next_cursor
