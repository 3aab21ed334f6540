"""The tenant's pipeline: default stages, adding, renaming, reordering, archiving."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.problems import Conflict, InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_crm.models import Stage
from mosaico_crm.pipeline.repository import StageRepository

DEFAULT_STAGES: tuple[tuple[str, str], ...] = (
    ("Novo", "open"),
    ("Qualificado", "open"),
    ("Proposta", "open"),
    ("Negociação", "open"),
    ("Ganho", "won"),
    ("Perdido", "lost"),
)


async def seed_defaults(session: AsyncSession, tenant: str) -> None:
    """Create the default stages once; onboarding again leaves an edited pipeline alone."""
    stages = StageRepository(session)
    await stages.lock_pipeline()
    if await stages.count():
        return
    for position, (name, kind) in enumerate(DEFAULT_STAGES):
        stages.add(Stage(name=name, kind=kind, position=position))
    await session.flush()


async def list_stages(session: AsyncSession, *, include_archived: bool) -> list[Stage]:
    """The pipeline in order (archived stages last, when asked for)."""
    stages = StageRepository(session)
    return await (stages.all() if include_archived else stages.active())


async def get_stage(session: AsyncSession, stage_id: uuid.UUID) -> Stage:
    """A stage by id (archived ones too); 404 when there is none."""
    stage = await StageRepository(session).get_by_id(stage_id)
    if stage is None:
        raise NotFound(f"No stage {stage_id}.")
    return stage


async def stage_to_enter(session: AsyncSession, stage_id: uuid.UUID) -> Stage:
    """A stage a lead may move into: it exists (else 422) and is not archived (else 409).

    The row is share-locked so that archiving it waits for this transaction.
    """
    stage = await StageRepository(session).share_locked(stage_id)
    if stage is None:
        raise InvalidInput(f"stage_id: there is no stage {stage_id}.")
    if stage.archived_at is not None:
        raise Conflict(f"The stage {stage.name!r} is archived; leads cannot enter it.")
    return stage


async def first_stage_of_kind(session: AsyncSession, kind: str) -> Stage:
    """The first active stage of ``kind`` in pipeline order; 409 when there is none."""
    stage = await StageRepository(session).first_active_of_kind(kind)
    if stage is None:
        raise Conflict(f"The pipeline has no active {kind!r} stage.")
    return stage


async def _ensure_name_free(
    session: AsyncSession, name: str, *, other_than: uuid.UUID | None = None
) -> None:
    clash = await StageRepository(session).active_named(name)
    if clash is not None and clash.id != other_than:
        raise Conflict(f"An active stage is already called {clash.name!r}.")


def _renumber(stages: list[Stage]) -> None:
    for position, stage in enumerate(stages):
        stage.position = position


async def add_stage(session: AsyncSession, *, name: str, kind: str, position: int | None) -> Stage:
    """Insert a stage at ``position`` (default: open stages before the closing ones)."""
    repository = StageRepository(session)
    await repository.lock_pipeline()
    await _ensure_name_free(session, name)
    stages = await repository.active()
    if position is None:
        closing = [i for i, s in enumerate(stages) if s.kind != "open"]
        position = closing[0] if kind == "open" and closing else len(stages)
    stage = Stage(name=name, kind=kind, position=0)
    stages.insert(min(position, len(stages)), stage)
    _renumber(stages)
    repository.add(stage)
    await session.flush()
    return stage


async def rename_stage(session: AsyncSession, *, stage_id: uuid.UUID, name: str) -> Stage:
    """Give an active stage a new name (unique among active stages)."""
    await StageRepository(session).lock_pipeline()
    stage = await get_stage(session, stage_id)
    if stage.archived_at is not None:
        raise Conflict(f"The stage {stage.name!r} is archived.")
    await _ensure_name_free(session, name, other_than=stage.id)
    stage.name = name
    await session.flush()
    return stage


async def reorder_stages(session: AsyncSession, *, stage_ids: list[uuid.UUID]) -> list[Stage]:
    """Put the active stages in the given order; every active stage must appear once."""
    repository = StageRepository(session)
    await repository.lock_pipeline()
    stages = {s.id: s for s in await repository.active()}
    if len(set(stage_ids)) != len(stage_ids):
        raise InvalidInput("stage_ids: list every active stage exactly once.")
    if set(stage_ids) != set(stages):
        raise Conflict(
            "stage_ids: the pipeline's active stages are not the ones listed; "
            "read them again and list each once."
        )
    ordered = [stages[i] for i in stage_ids]
    _renumber(ordered)
    await session.flush()
    return ordered


async def archive_stage(session: AsyncSession, *, stage_id: uuid.UUID) -> Stage:
    """Archive a stage that holds no open lead and is not the last of its kind."""
    repository = StageRepository(session)
    await repository.lock_pipeline()
    stage = await repository.get_by_id(stage_id, for_update=True)
    if stage is None:
        raise NotFound(f"No stage {stage_id}.")
    if stage.archived_at is not None:
        return stage
    open_leads = await repository.open_leads_in(stage.id)
    if open_leads:
        raise Conflict(
            f"The stage {stage.name!r} still holds {open_leads} open lead(s); move them first.",
            open_leads=open_leads,
        )
    active = await repository.active()
    if not any(s.kind == stage.kind and s.id != stage.id for s in active):
        raise Conflict(f"{stage.name!r} is the last active {stage.kind!r} stage.")
    stage.archived_at = datetime.now(UTC)
    _renumber([s for s in active if s.id != stage.id])
    await session.flush()
    return stage
