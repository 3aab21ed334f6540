"""Subscriptions: which events send what, the defaults every tenant starts with, and
turning one event into its messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.messages import service as messages
from mosaico_notifications.models import Message, Subscription
from mosaico_notifications.providers.service import webhook_configured
from mosaico_notifications.settings import NotificationsSettings
from mosaico_notifications.subscriptions.repository import SubscriptionRepository
from mosaico_notifications.subscriptions.schemas import (
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
)
from mosaico_notifications.templates import service as templates
from mosaico_notifications.templates.defaults import INVITE, PASSWORD_RESET

#: Events whose payload names its recipient (an e-mail address): ``to`` may be left out.
ADDRESSED_EVENTS = frozenset({"UserInvited", "PasswordResetRequested"})

#: What a tenant starts with: identity's e-mails. The CRM's won deals send nothing until
#: the tenant subscribes someone to them.
DEFAULT_SUBSCRIPTIONS: tuple[dict[str, Any], ...] = (
    {"event_type": "UserInvited", "enabled": True, "template_key": INVITE, "channel": "email"},
    {"event_type": "PasswordResetRequested", "enabled": True, "template_key": PASSWORD_RESET,
     "channel": "email"},
)  # fmt: skip


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        event=subscription.event_type,
        enabled=subscription.enabled,
        template=subscription.template_key,
        channel=subscription.channel,
        to=subscription.recipient,
        created_at=subscription.created_at,
        updated_at=subscription.updated_at,
    )


async def seed_defaults(session: AsyncSession, tenant: str) -> None:
    """Onboarding: the default templates, and the default subscriptions of events the
    tenant subscribed nothing to (what it edited stays as it is)."""
    await templates.seed_default_templates(session)
    subscriptions = SubscriptionRepository(session)
    await subscriptions.lock_defaults()
    present = await subscriptions.event_types()
    subscriptions.add_all(
        {"id": uuid.uuid4(), **values}
        for values in DEFAULT_SUBSCRIPTIONS
        if values["event_type"] not in present
    )
    await session.flush()


async def list_subscriptions(session: AsyncSession) -> list[Subscription]:
    """Every subscription of the tenant."""
    return await SubscriptionRepository(session).all()


async def get_subscription(
    session: AsyncSession, subscription_id: uuid.UUID, *, for_update: bool = False
) -> Subscription:
    """The subscription ``subscription_id``; 404 when there is none."""
    subscription = await SubscriptionRepository(session).get_by_id(
        subscription_id, for_update=for_update
    )
    if subscription is None:
        raise NotFound(f"No subscription {subscription_id}.")
    return subscription


async def _checked_recipient(
    session: AsyncSession, *, event: str, body: SubscriptionUpdate
) -> str | None:
    """``body``'s recipient once what it sends can go out: the template exists, ``to``
    fits the channel (and is given when the event names nobody), a webhook has its
    endpoint."""
    await templates.template_named(session, body.template)
    recipient = messages.recipient_for(body.channel, body.to) if body.to else None
    unaddressed = recipient is None and event not in ADDRESSED_EVENTS
    if body.enabled and body.channel == "email" and unaddressed:
        raise InvalidInput(f"to: {event} names no recipient; say who gets the e-mail.")
    if body.enabled and body.channel == "webhook" and not await webhook_configured(session):
        raise Conflict("channel: the tenant has no webhook endpoint; set one in /providers.")
    return recipient


async def create_subscription(session: AsyncSession, *, body: SubscriptionCreate) -> Subscription:
    """Send a message on ``body.event`` from now on."""
    recipient = await _checked_recipient(session, event=body.event, body=body)
    subscription = Subscription(
        event_type=body.event, enabled=body.enabled, template_key=body.template,
        channel=body.channel, recipient=recipient,
    )  # fmt: skip
    SubscriptionRepository(session).add(subscription)
    await session.flush()
    return subscription


async def update_subscription(
    session: AsyncSession, *, subscription_id: uuid.UUID, body: SubscriptionUpdate
) -> Subscription:
    """Change what a subscription sends, or turn it on or off."""
    subscription = await get_subscription(session, subscription_id, for_update=True)
    recipient = await _checked_recipient(session, event=subscription.event_type, body=body)
    subscription.enabled = body.enabled
    subscription.template_key = body.template
    subscription.channel = body.channel
    subscription.recipient = recipient
    subscription.updated_at = datetime.now(UTC)
    await session.flush()
    return subscription


async def delete_subscription(session: AsyncSession, *, subscription_id: uuid.UUID) -> None:
    """Stop sending what this subscription sends."""
    subscription = await get_subscription(session, subscription_id)
    await SubscriptionRepository(session).remove(subscription)


async def _message_of(
    session: AsyncSession,
    subscription: Subscription,
    *,
    tenant: str,
    event_id: uuid.UUID,
    addressed_to: str | None,
    data: dict[str, Any],
    settings: NotificationsSettings,
) -> Message | None:
    channel = subscription.channel
    recipient = subscription.recipient or (addressed_to if channel == "email" else None)
    failure: str | None = None
    rendered = None
    try:
        recipient = messages.recipient_for(channel, recipient)  # type: ignore[arg-type]
        template = await templates.template_named(session, subscription.template_key)
        rendered = templates.render(template, data, max_chars=settings.rendered_max_chars)
    except (InvalidInput, NotFound) as problem:
        failure = problem.detail or problem.title
    return await messages.queue_message(
        session,
        tenant=tenant,
        idempotency_key=f"event:{event_id}:{subscription.id}",
        request_hash=messages.fingerprint({"event": str(event_id), "to": str(subscription.id)}),
        source="event", event_id=event_id, channel=channel,  # type: ignore[arg-type]
        recipient=recipient, template_key=subscription.template_key, rendered=rendered,
        data=data, max_attempts=settings.delivery_max_attempts, failure=failure,
    )  # fmt: skip


async def messages_for_event(
    session: AsyncSession,
    *,
    tenant: str,
    event_id: uuid.UUID,
    event_type: str,
    addressed_to: str | None,
    data: dict[str, Any],
    settings: NotificationsSettings,
) -> list[Message]:
    """Queue what each of the tenant's enabled subscriptions to ``event_type`` sends,
    once per event and subscription. A template that no longer renders, or a recipient
    that does not fit, is recorded as a failed message (the tenant sees why in the
    delivery log)."""
    queued = []
    for subscription in await SubscriptionRepository(session).enabled_for(event_type):
        message = await _message_of(
            session, subscription, tenant=tenant, event_id=event_id, addressed_to=addressed_to,
            data=data,
            settings=settings,
        )  # fmt: skip
        if message is not None:
            queued.append(message)
    return queued
