"""Subscriptions: which events send what, the defaults every tenant starts with, and
turning one event into one message."""

from __future__ import annotations

import uuid
from typing import Any

from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.messages import service as messages
from mosaico_notifications.models import Message, Subscription
from mosaico_notifications.providers.service import webhook_configured
from mosaico_notifications.settings import NotificationsSettings
from mosaico_notifications.subscriptions.repository import SubscriptionRepository
from mosaico_notifications.subscriptions.schemas import SubscriptionOut, SubscriptionUpdate
from mosaico_notifications.templates import service as templates
from mosaico_notifications.templates.defaults import INVITE, LEAD_WON, PASSWORD_RESET

#: Events whose payload names its recipient (an e-mail address): ``to`` may be left out.
ADDRESSED_EVENTS = frozenset({"UserInvited", "PasswordResetRequested"})

#: What a tenant starts with: identity's e-mails on, the CRM's off until it subscribes.
DEFAULT_SUBSCRIPTIONS: tuple[dict[str, Any], ...] = (
    {"event_type": "UserInvited", "enabled": True, "template_key": INVITE, "channel": "email"},
    {"event_type": "PasswordResetRequested", "enabled": True, "template_key": PASSWORD_RESET,
     "channel": "email"},
    {"event_type": "LeadWon", "enabled": False, "template_key": LEAD_WON, "channel": "email"},
)  # fmt: skip


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        event=subscription.event_type,
        enabled=subscription.enabled,
        template=subscription.template_key,
        channel=subscription.channel,
        to=subscription.recipient,
        updated_at=subscription.updated_at,
    )


async def seed_defaults(session: AsyncSession, tenant: str) -> None:
    """Onboarding: the default templates and subscriptions the tenant lacks (what it
    edited stays as it is)."""
    await templates.seed_default_templates(session)
    await SubscriptionRepository(session).add_missing(DEFAULT_SUBSCRIPTIONS)


async def list_subscriptions(session: AsyncSession) -> list[Subscription]:
    """Every subscription of the tenant."""
    return await SubscriptionRepository(session).all()


async def get_subscription(session: AsyncSession, event: str) -> Subscription:
    """The subscription to ``event``; 404 when there is none."""
    subscription = await SubscriptionRepository(session).of(event)
    if subscription is None:
        raise NotFound(f"No subscription to {event}.")
    return subscription


async def save_subscription(
    session: AsyncSession, *, event: str, body: SubscriptionUpdate
) -> Subscription:
    """Set what ``event`` sends: the template must exist, ``to`` must fit the channel
    (and be given when the event names nobody), a webhook needs its endpoint."""
    try:
        await templates.get_template(session, body.template)
    except NotFound:
        raise InvalidInput(f"template: there is no template {body.template!r}.") from None
    recipient = messages.recipient_for(body.channel, body.to) if body.to else None
    unaddressed = recipient is None and event not in ADDRESSED_EVENTS
    if body.enabled and body.channel == "email" and unaddressed:
        raise InvalidInput(f"to: {event} names no recipient; say who gets the e-mail.")
    if body.enabled and body.channel == "webhook" and not await webhook_configured(session):
        raise Conflict("channel: the tenant has no webhook endpoint; set one in /providers.")
    subscriptions = SubscriptionRepository(session)
    subscription = await subscriptions.of(event, for_update=True)
    if subscription is None:
        subscription = Subscription(event_type=event)
        subscriptions.add(subscription)
    subscription.enabled = body.enabled
    subscription.template_key = body.template
    subscription.channel = body.channel
    subscription.recipient = recipient
    await session.flush()
    await session.refresh(subscription)
    return subscription


async def message_for_event(
    session: AsyncSession,
    *,
    event_id: uuid.UUID,
    event_type: str,
    addressed_to: str | None,
    data: dict[str, Any],
    settings: NotificationsSettings,
) -> Message | None:
    """Queue what the tenant's subscription to ``event_type`` sends, once per event;
    None when it sends nothing. A template that no longer renders, or no recipient, is
    recorded as a failed message (the tenant sees why in the delivery log)."""
    subscription = await SubscriptionRepository(session).of(event_type)
    if subscription is None or not subscription.enabled:
        return None
    channel = subscription.channel
    recipient = subscription.recipient or (addressed_to if channel == "email" else None)
    failure: str | None = None
    rendered = None
    try:
        recipient = messages.recipient_for(channel, recipient)  # type: ignore[arg-type]
        template = await templates.get_template(session, subscription.template_key)
        rendered = templates.render(template, data, max_chars=settings.rendered_max_chars)
    except (InvalidInput, NotFound) as problem:
        failure = problem.detail or problem.title
    return await messages.queue_message(
        session,
        idempotency_key=f"event:{event_id}",
        request_hash=messages.fingerprint({"event": str(event_id)}),
        source="event", event_id=event_id, channel=channel,  # type: ignore[arg-type]
        recipient=recipient, template_key=subscription.template_key, rendered=rendered,
        data=data, max_attempts=settings.delivery_max_attempts, failure=failure,
    )  # fmt: skip
