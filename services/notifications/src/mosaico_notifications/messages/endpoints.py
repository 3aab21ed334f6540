"""``/notifications/v1/messages``: send a message (once per ``Idempotency-Key``) and
follow its delivery."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import TenantSession

from mosaico_notifications.messages import service
from mosaico_notifications.messages.auth import MessageReader, MessageSender
from mosaico_notifications.messages.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    MessageDetail,
    MessageOut,
    MessagePage,
    MessageRequest,
    MessageStatus,
)
from mosaico_notifications.settings import CurrentSettings

router = APIRouter(prefix="/notifications/v1/messages", tags=["messages"])

REPLAYED_HEADER = "Idempotent-Replayed"


@router.post(
    "",
    status_code=202,
    response_model=MessageOut,
    responses=problem_responses(
        MalformedBody, Unauthorized, Forbidden, Conflict, PayloadTooLarge, InvalidInput
    ),
)
async def send_message(
    request: Request,
    body: MessageRequest,
    principal: MessageSender,
    session: TenantSession,
    settings: CurrentSettings,
    idempotency_key: Annotated[
        str,
        Header(
            pattern=IDEMPOTENCY_KEY_PATTERN,
            description="One per message (a UUID, say): a repeat of the request with the "
            "same key gets the first answer and sends nothing more; the same key with "
            "another request is a 422",
        ),
    ],
) -> JSONResponse:
    """Queue a message; it is sent in the background, with retries (``GET`` it to follow
    its delivery). The answer to a repeated key says so in ``Idempotent-Replayed``."""
    answer, replayed = await service.send_message(
        session,
        tenant=principal.tenant,
        idempotency_key=idempotency_key,
        body=body,
        settings=settings,
    )
    if not replayed:
        request.app.state.delivery.wake_after_commit(session, principal.tenant)
    return JSONResponse(
        answer,
        status_code=202,
        headers={
            "Location": f"{router.prefix}/{answer['id']}",
            REPLAYED_HEADER: "true" if replayed else "false",
        },
    )


@router.get(
    "",
    response_model=MessagePage,
    responses=problem_responses(Unauthorized, Forbidden, InvalidInput),
)
async def list_messages(
    principal: MessageReader,
    session: TenantSession,
    status: MessageStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> MessagePage:
    """The tenant's messages, newest first, one page at a time."""
    items, next_cursor = await service.list_messages(
        session, status=status, limit=limit, cursor=cursor
    )
    return MessagePage(items=items, limit=limit, next_cursor=next_cursor)


@router.get(
    "/{message_id}",
    response_model=MessageDetail,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def get_message(
    message_id: uuid.UUID, principal: MessageReader, session: TenantSession
) -> MessageDetail:
    """A message and its delivery log: queued, each attempt, sent or failed."""
    return await service.get_message(session, message_id)
