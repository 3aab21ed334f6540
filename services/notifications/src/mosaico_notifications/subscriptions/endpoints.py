"""``/notifications/v1/subscriptions``: what other modules' events send (identity's
invites and password resets, the CRM's won deals)."""

from __future__ import annotations

from fastapi import APIRouter
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedBody,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import TenantSession

from mosaico_notifications.subscriptions import service
from mosaico_notifications.subscriptions.auth import SubscriptionEditor, SubscriptionReader
from mosaico_notifications.subscriptions.schemas import (
    SubscribableEvent,
    SubscriptionOut,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/notifications/v1/subscriptions", tags=["subscriptions"])


@router.get(
    "", response_model=list[SubscriptionOut], responses=problem_responses(Unauthorized, Forbidden)
)
async def list_subscriptions(
    principal: SubscriptionReader, session: TenantSession
) -> list[SubscriptionOut]:
    """Every event the tenant can subscribe to, and what it sends."""
    return [service.subscription_out(s) for s in await service.list_subscriptions(session)]


@router.get(
    "/{event}",
    response_model=SubscriptionOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def get_subscription(
    event: SubscribableEvent, principal: SubscriptionReader, session: TenantSession
) -> SubscriptionOut:
    return service.subscription_out(await service.get_subscription(session, event))


@router.put(
    "/{event}",
    response_model=SubscriptionOut,
    responses=problem_responses(MalformedBody, Unauthorized, Forbidden, Conflict, InvalidInput),
)
async def save_subscription(
    event: SubscribableEvent,
    body: SubscriptionUpdate,
    principal: SubscriptionEditor,
    session: TenantSession,
) -> SubscriptionOut:
    """Turn an event's message on or off, and say which template goes out, over which
    channel, to whom."""
    subscription = await service.save_subscription(session, event=event, body=body)
    return service.subscription_out(subscription)
