"""Activities on a lead: calls, meetings, e-mails and tasks to complete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.problems import Conflict, NotFound
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.access import Actor
from mosaico_crm.activities.schemas import ActivityCreate
from mosaico_crm.leads.service import get_lead
from mosaico_crm.models import Activity


async def add_activity(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID, body: ActivityCreate
) -> Activity:
    """Record an activity on a lead the actor may see."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    activity = Activity(lead_id=lead_id, created_by=actor.user_id, **body.model_dump())
    session.add(activity)
    await session.flush()
    return activity


async def list_activities(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID
) -> list[Activity]:
    """The lead's activities, oldest first."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    rows = await session.scalars(
        select(Activity)
        .where(Activity.lead_id == lead_id)
        .order_by(Activity.created_at, Activity.id)
    )
    return list(rows)


async def complete_task(
    session: AsyncSession, *, actor: Actor, lead_id: uuid.UUID, activity_id: uuid.UUID
) -> Activity:
    """Mark a task done, once; other kinds of activity are not completed (409)."""
    await get_lead(session, actor=actor, lead_id=lead_id)
    activity = await session.scalar(
        select(Activity)
        .where(Activity.id == activity_id, Activity.lead_id == lead_id)
        .with_for_update()
    )
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
