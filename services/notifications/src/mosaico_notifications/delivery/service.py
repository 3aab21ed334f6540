"""Delivery rules: which messages a worker takes, what one attempt leaves in the
delivery log, and when a failed attempt is tried again (exponential backoff with
jitter) or the message fails for good."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.channels import Channel, DeliveryFailed, OutgoingMessage
from mosaico_notifications.channels.email import SmtpServer
from mosaico_notifications.channels.webhook import WebhookEndpoint
from mosaico_notifications.delivery.repository import DeliveryRepository
from mosaico_notifications.events import record_delivery_outcome
from mosaico_notifications.models import Message
from mosaico_notifications.providers import service as providers
from mosaico_notifications.providers.secrets import SecretBox, SecretUnreadable
from mosaico_notifications.settings import NotificationsSettings

#: The last attempt's worker died before saying how it went.
ABANDONED = "the worker sending the last attempt stopped before it finished"


@dataclass(frozen=True, slots=True)
class Destinations:
    """Where one tenant's messages go on each channel (None: nowhere yet), or why they
    cannot go (a stored secret does not open)."""

    smtp: SmtpServer | None
    webhook: WebhookEndpoint | None
    problem: str | None = None


def backoff_seconds(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """The wait after failed attempt ``attempt``: ``base * 2^(attempt-1)``, at most
    ``cap``, of which a random half is jitter (replicas retrying together spread out)."""
    ceiling: float = min(cap, base * 2.0 ** max(attempt - 1, 0))
    draw: float = (rng or random).random()
    return ceiling / 2 + draw * ceiling / 2


async def claim_due_messages(
    session: AsyncSession, *, tenant: str, limit: int, lease_seconds: float
) -> list[Message]:
    """Messages this worker now sends, each attempt logged; messages whose last attempt
    was abandoned by a dead worker fail for good here."""
    deliveries = DeliveryRepository(session)
    for abandoned in await deliveries.fail_abandoned(error=ABANDONED):
        deliveries.add_log(abandoned.id, "failed", abandoned.attempts, ABANDONED)
        record_delivery_outcome(
            session, tenant=tenant, message=abandoned, attempts=abandoned.attempts, error=ABANDONED
        )
    claimed = await deliveries.claim_due(limit=limit, lease_seconds=lease_seconds)
    for message in claimed:
        deliveries.add_log(message.id, "sending", message.attempts, None)
    await session.flush()
    return claimed


async def destinations_of(
    session: AsyncSession,
    *,
    tenant: str,
    box: SecretBox | None,
    settings: NotificationsSettings,
) -> Destinations:
    """The tenant's SMTP server (its own or the platform's) and webhook endpoint."""
    try:
        smtp = await providers.smtp_server_for(session, tenant=tenant, box=box, settings=settings)
        webhook = await providers.webhook_endpoint_for(session, tenant=tenant, box=box)
    except (SecretUnreadable, LookupError) as exc:
        return Destinations(None, None, problem=f"provider secret unreadable: {exc}")
    return Destinations(smtp, webhook)


def outgoing(message: Message, tenant: str) -> OutgoingMessage:
    """What a sender hands over for ``message``."""
    return OutgoingMessage(
        id=message.id, tenant=tenant, channel=message.channel,  # type: ignore[arg-type]
        recipient=message.recipient, template_key=message.template_key,
        subject=message.subject, html=message.html or "", text=message.text or "",
        data=message.data or {},
    )  # fmt: skip


def destination_for(channel: Channel, destinations: Destinations) -> SmtpServer | WebhookEndpoint:
    """The destination of ``channel``; ``DeliveryFailed`` (permanent) when there is none."""
    if destinations.problem is not None:
        raise DeliveryFailed(destinations.problem, permanent=False)
    target = destinations.smtp if channel == "email" else destinations.webhook
    if target is None:
        raise DeliveryFailed(f"the tenant has no {channel} endpoint", permanent=True)
    return target


async def record_sent(
    session: AsyncSession, *, tenant: str, message: Message, attempt: int
) -> bool:
    """The attempt delivered the message: sent, its content cleared, ``MessageSent``
    written. False when another worker had taken it over meanwhile (this one's lease
    ran out)."""
    deliveries = DeliveryRepository(session)
    done = await deliveries.finish_attempt(
        message.id,
        attempt,
        {"status": "sent", "sent_at": datetime.now(UTC), "last_error": None,
         "html": None, "text": None, "data": None},
    )  # fmt: skip
    if done:
        deliveries.add_log(message.id, "sent", attempt, None)
        record_delivery_outcome(session, tenant=tenant, message=message, attempts=attempt,
                                error=None)  # fmt: skip
    await session.flush()
    return done


async def record_failure(
    session: AsyncSession,
    *,
    tenant: str,
    message: Message,
    attempt: int,
    failure: DeliveryFailed,
    settings: NotificationsSettings,
) -> float | None:
    """The attempt failed: queued again after a backoff (returns the delay), or failed
    for good (``MessageFailed`` written) when the failure is permanent or no attempt is
    left (returns None)."""
    deliveries = DeliveryRepository(session)
    now = datetime.now(UTC)
    if failure.permanent or attempt >= message.max_attempts:
        values = {"status": "failed", "failed_at": now, "last_error": failure.reason,
                  "html": None, "text": None, "data": None}  # fmt: skip
        if await deliveries.finish_attempt(message.id, attempt, values):
            deliveries.add_log(message.id, "failed", attempt, failure.reason)
            record_delivery_outcome(session, tenant=tenant, message=message, attempts=attempt,
                                    error=failure.reason)  # fmt: skip
        await session.flush()
        return None
    delay = backoff_seconds(
        attempt,
        base=settings.delivery_backoff_base_seconds,
        cap=settings.delivery_backoff_max_seconds,
    )
    values = {"status": "queued", "last_error": failure.reason,
              "next_attempt_at": now + timedelta(seconds=delay)}  # fmt: skip
    retried = await deliveries.finish_attempt(message.id, attempt, values)
    if retried:
        deliveries.add_log(message.id, "retrying", attempt, failure.reason)
    await session.flush()
    return delay if retried else None


async def due_summary(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many messages of the tenant are due, and since when the oldest is."""
    return await DeliveryRepository(session).due_summary()
