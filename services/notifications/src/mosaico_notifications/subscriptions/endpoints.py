"""``/notifications/v1/subscriptions``: what other modules' events send (identity's
invites and password resets, the CRM's won deals)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
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
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
)

router = APIRouter(prefix="/notifications/v1/subscriptions", tags=["subscriptions"])

_READ = problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput)
_WRITE = problem_responses(MalformedBody, Unauthorized, Forbidden, NotFound, Conflict, InvalidInput)


@router.get("", response_model=list[SubscriptionOut], responses=_READ)
async def list_subscriptions(
    principal: SubscriptionReader, session: TenantSession
) -> list[SubscriptionOut]:
    """What each event sends."""
    return [service.subscription_out(s) for s in await service.list_subscriptions(session)]


@router.post("", status_code=201, response_model=SubscriptionOut, responses=_WRITE)
async def create_subscription(
    body: SubscriptionCreate, principal: SubscriptionEditor, session: TenantSession
) -> SubscriptionOut:
    """Send a template over a channel whenever ``event`` happens in the tenant."""
    return service.subscription_out(await service.create_subscription(session, body=body))


@router.get("/{subscription_id}", response_model=SubscriptionOut, responses=_READ)
async def get_subscription(
    subscription_id: uuid.UUID, principal: SubscriptionReader, session: TenantSession
) -> SubscriptionOut:
    return service.subscription_out(await service.get_subscription(session, subscription_id))


@router.put("/{subscription_id}", response_model=SubscriptionOut, responses=_WRITE)
async def update_subscription(
    subscription_id: uuid.UUID,
    body: SubscriptionUpdate,
    principal: SubscriptionEditor,
    session: TenantSession,
) -> SubscriptionOut:
    """Change what the subscription sends, or turn it on or off."""
    subscription = await service.update_subscription(
        session, subscription_id=subscription_id, body=body
    )
    return service.subscription_out(subscription)


@router.delete("/{subscription_id}", status_code=204, responses=_WRITE)
async def delete_subscription(
    subscription_id: uuid.UUID, principal: SubscriptionEditor, session: TenantSession
) -> Response:
    """Stop sending what the subscription sends."""
    await service.delete_subscription(session, subscription_id=subscription_id)
    return Response(status_code=204)
