"""``/crm/v1/pipeline/stages``: the tenant's pipeline."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from mosaico_shared.problems import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.schemas import QueryBool
from mosaico_shared.tenancy.session import TenantSession

from mosaico_crm.pipeline import service
from mosaico_crm.pipeline.auth import StageEditor, StageReader
from mosaico_crm.pipeline.schemas import StageCreate, StageOrder, StageOut, StageRename

router = APIRouter(prefix="/crm/v1/pipeline/stages", tags=["pipeline"])


@router.get(
    "",
    response_model=list[StageOut],
    responses=problem_responses(Unauthorized, Forbidden, InvalidInput),
)
async def list_stages(
    actor: StageReader,
    session: TenantSession,
    include_archived: Annotated[QueryBool, Query()] = False,
) -> list[StageOut]:
    """The pipeline's stages in order."""
    stages = await service.list_stages(session, include_archived=include_archived)
    return [StageOut.model_validate(s) for s in stages]


@router.post(
    "",
    status_code=201,
    response_model=StageOut,
    responses=problem_responses(Unauthorized, Forbidden, Conflict, InvalidInput),
)
async def add_stage(body: StageCreate, actor: StageEditor, session: TenantSession) -> StageOut:
    """Add a stage (admins only)."""
    stage = await service.add_stage(session, name=body.name, kind=body.kind, position=body.position)
    return StageOut.model_validate(stage)


@router.put(
    "/order",
    response_model=list[StageOut],
    responses=problem_responses(Unauthorized, Forbidden, Conflict, InvalidInput),
)
async def reorder_stages(
    body: StageOrder, actor: StageEditor, session: TenantSession
) -> list[StageOut]:
    """Reorder the active stages (admins only)."""
    stages = await service.reorder_stages(session, stage_ids=body.stage_ids)
    return [StageOut.model_validate(s) for s in stages]


@router.patch(
    "/{stage_id}",
    response_model=StageOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict, InvalidInput),
)
async def rename_stage(
    stage_id: uuid.UUID, body: StageRename, actor: StageEditor, session: TenantSession
) -> StageOut:
    """Rename a stage (admins only)."""
    return StageOut.model_validate(
        await service.rename_stage(session, stage_id=stage_id, name=body.name)
    )


@router.post(
    "/{stage_id}/archive",
    response_model=StageOut,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict, InvalidInput),
)
async def archive_stage(
    stage_id: uuid.UUID, actor: StageEditor, session: TenantSession
) -> StageOut:
    """Archive a stage; refused (409) while it holds open leads (admins only)."""
    return StageOut.model_validate(await service.archive_stage(session, stage_id=stage_id))
