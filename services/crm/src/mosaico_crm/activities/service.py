"""Activities on a lead: calls, meetings, e-mails and tasks to complete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.problems import Conflict, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.access import Actor
from mosaico_crm.activities.repository import ActivityRepository
from mosaico_crm.activities.schemas import ActivityCreate
from mosaico_crm.leads.service import get_lead
from mosaico_crm.models import Activity


async def add_activity(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID, body: ActivityCreate
) -> Activity:
    """Record an activity on a lead the actor may see."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    activity = Activity(lead_id=lead_id, created_by=actor.user_id, **body.model_dump())
    ActivityRepository(session).add(activity)
    await session.flush()
    return activity


async def list_activities(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID
) -> list[Activity]:
    """The lead's activities, oldest first."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    return await ActivityRepository(session).of_lead(lead_id)


async def complete_task(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID, activity_id: uuid.UUID
) -> Activity:
    """Mark a task done, once; other kinds of activity are not completed (409)."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    activity = await ActivityRepository(session).on_lead(activity_id, lead_id, for_update=True)
    if activity is None:
        raise NotFound(f"No activity {activity_id} on lead {lead_id}.")
    if activity.kind != "task":
        raise Conflict(f"Only tasks are completed; this is a {activity.kind}.")
    if activity.completed_at is not None:
        raise Conflict("The task is already completed.")
    activity.completed_at = datetime.now(UTC)
    activity.completed_by = actor.user_id
    await session.flush()
    return activity
