"""``/crm/v1/leads/{lead_id}/activities``."""

from __future__ import annotations

import uuid

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

from mosaico_crm.activities import service
from mosaico_crm.activities.schemas import ActivityCreate, ActivityOut
from mosaico_crm.leads.auth import LeadReader, LeadWriter

router = APIRouter(prefix="/crm/v1/leads/{lead_id}/activities", tags=["activities"])


@router.post(
    "",
    status_code=201,
    response_model=ActivityOut,
    responses=problem_responses(MalformedBody, Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def add_activity(
    lead_id: uuid.UUID, body: ActivityCreate, actor: LeadWriter, session: TenantSession
) -> ActivityOut:
    """Record a call, meeting, e-mail or task on a lead."""
    activity = await service.add_activity(session, actor=actor, lead_id=lead_id, body=body)
    return ActivityOut.model_validate(activity)


@router.get(
    "",
    response_model=list[ActivityOut],
    responses=problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput),
)
async def list_activities(
    lead_id: uuid.UUID, actor: LeadReader, session: TenantSession
) -> list[ActivityOut]:
    """The lead's activities, oldest first."""
    activities = await service.list_activities(session, actor=actor, lead_id=lead_id)
    return [ActivityOut.model_validate(a) for a in activities]


@router.post(
    "/{activity_id}/complete",
    response_model=ActivityOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict, InvalidInput),
)
async def complete_task(
    lead_id: uuid.UUID, activity_id: uuid.UUID, actor: LeadWriter, session: TenantSession
) -> ActivityOut:
    """Mark a task as done."""
    activity = await service.complete_task(
        session, actor=actor, lead_id=lead_id, activity_id=activity_id
    )
    return ActivityOut.model_validate(activity)
