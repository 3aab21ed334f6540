"""``/crm/v1/leads``: leads, their moves through the pipeline and their history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from mosaico_shared.problems import (
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InvalidInput,
    MalformedBody,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.responses import json_response
from mosaico_shared.schemas import NO_NUL
from mosaico_shared.tenancy.session import TenantSession

from mosaico_crm.leads import service
from mosaico_crm.leads.auth import (
    CHECK_NEW_OWNER_OF_LEAD,
    CHECK_OWNER_OF_NEW_LEAD,
    LeadDeleter,
    LeadReader,
    LeadWriter,
)
from mosaico_crm.leads.repository import LeadFilters
from mosaico_crm.leads.schemas import (
    CloseRequest,
    LeadCreate,
    LeadOut,
    LeadPage,
    LeadStatus,
    LeadUpdate,
    StageMoveOut,
    StageMoveRequest,
)

router = APIRouter(prefix="/crm/v1/leads", tags=["leads"])

_READ = problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput)
_WRITE = problem_responses(
    MalformedBody, Unauthorized, Forbidden, NotFound, Conflict, InvalidInput, DependencyUnavailable
)


@router.post(
    "",
    status_code=201,
    response_model=LeadOut,
    responses=_WRITE,
    dependencies=[CHECK_OWNER_OF_NEW_LEAD],
)
async def create_lead(body: LeadCreate, actor: LeadWriter, session: TenantSession) -> LeadOut:
    """Add a lead; it enters the pipeline's first open stage unless ``stage_id`` says."""
    return LeadOut.model_validate(await service.create_lead(session, actor=actor, body=body))


@router.get("", response_model=LeadPage, responses=_READ)
async def list_leads(
    actor: LeadReader,
    session: TenantSession,
    stage_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    status: LeadStatus | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=40, pattern=NO_NUL)] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=NO_NUL, description="Searched in name, company and e-mail"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Leads in creation order (``created_at``, ``id``), one page at a time."""
    filters = LeadFilters(
        stage_id=stage_id,
        owner_id=owner_id,
        status=status,
        tag=tag.strip().lower() if tag else None,
        text=q.strip() if q else None,
    )
    leads, next_cursor = await service.list_leads(
        session, actor=actor, filters=filters, limit=limit, cursor=cursor
    )
    return json_response({"items": leads, "limit": limit, "next_cursor": next_cursor})


@router.get("/{lead_id}", response_model=LeadOut, responses=_READ)
async def get_lead(lead_id: uuid.UUID, actor: LeadReader, session: TenantSession) -> LeadOut:
    return LeadOut.model_validate(await service.get_lead(session, actor=actor, lead_id=lead_id))


@router.patch(
    "/{lead_id}", response_model=LeadOut, responses=_WRITE, dependencies=[CHECK_NEW_OWNER_OF_LEAD]
)
async def update_lead(
    lead_id: uuid.UUID, body: LeadUpdate, actor: LeadWriter, session: TenantSession
) -> LeadOut:
    """Change some fields of a lead (moves go through ``/move``, ``/win``, ``/lose``)."""
    lead = await service.update_lead(session, actor=actor, lead_id=lead_id, body=body)
    return LeadOut.model_validate(lead)


@router.delete(
    "/{lead_id}",
    status_code=204,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def delete_lead(lead_id: uuid.UUID, actor: LeadDeleter, session: TenantSession) -> Response:
    """Soft-delete a lead (managers and admins)."""
    await service.delete_lead(session, actor=actor, lead_id=lead_id)
    return Response(status_code=204)


@router.post("/{lead_id}/move", response_model=LeadOut, responses=_WRITE)
async def move_lead(
    lead_id: uuid.UUID, body: StageMoveRequest, actor: LeadWriter, session: TenantSession
) -> LeadOut:
    """Move a lead to another stage; entering a won/lost stage closes it."""
    lead = await service.move_lead_to_stage(
        session, actor=actor, lead_id=lead_id, stage_id=body.stage_id, reason=body.reason
    )
    return LeadOut.model_validate(lead)


@router.post("/{lead_id}/win", response_model=LeadOut, responses=_WRITE)
async def win_lead(
    lead_id: uuid.UUID, body: CloseRequest, actor: LeadWriter, session: TenantSession
) -> LeadOut:
    """Close a lead as won: it moves to the pipeline's won stage."""
    lead = await service.close_lead(
        session, actor=actor, lead_id=lead_id, outcome="won", reason=body.reason
    )
    return LeadOut.model_validate(lead)


@router.post("/{lead_id}/lose", response_model=LeadOut, responses=_WRITE)
async def lose_lead(
    lead_id: uuid.UUID, body: CloseRequest, actor: LeadWriter, session: TenantSession
) -> LeadOut:
    """Close a lead as lost: it moves to the pipeline's lost stage."""
    lead = await service.close_lead(
        session, actor=actor, lead_id=lead_id, outcome="lost", reason=body.reason
    )
    return LeadOut.model_validate(lead)


@router.get("/{lead_id}/history", response_model=list[StageMoveOut], responses=_READ)
async def lead_history(
    lead_id: uuid.UUID, actor: LeadReader, session: TenantSession
) -> list[StageMoveOut]:
    """Every stage the lead went through: who moved it, when, from where, to where."""
    return await service.lead_history(session, actor=actor, lead_id=lead_id)
