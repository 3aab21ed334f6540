"""``/notifications/v1/templates``: the tenant's templates and their previews."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
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

from mosaico_notifications.settings import CurrentSettings
from mosaico_notifications.templates import service
from mosaico_notifications.templates.auth import TemplateEditor, TemplateReader
from mosaico_notifications.templates.schemas import (
    DraftPreviewRequest,
    PreviewRequest,
    RenderedOut,
    TemplateBody,
    TemplateCreate,
    TemplateOut,
)

router = APIRouter(prefix="/notifications/v1/templates", tags=["templates"])

_READ = problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput)
_WRITE = problem_responses(MalformedBody, Unauthorized, Forbidden, NotFound, Conflict, InvalidInput)
_PREVIEW = problem_responses(
    MalformedBody, Unauthorized, Forbidden, NotFound, PayloadTooLarge, InvalidInput
)


@router.get("", response_model=list[TemplateOut], responses=_READ)
async def list_templates(principal: TemplateReader, session: TenantSession) -> list[TemplateOut]:
    """Every template of the tenant, the defaults among them, by key."""
    return [TemplateOut.model_validate(t) for t in await service.list_templates(session)]


@router.post("", status_code=201, response_model=TemplateOut, responses=_WRITE)
async def create_template(
    body: TemplateCreate, principal: TemplateEditor, session: TenantSession
) -> TemplateOut:
    """Add a template; every part must compile (a 422 names the part and the line)."""
    return TemplateOut.model_validate(await service.create_template(session, body=body))


@router.post("/preview", response_model=RenderedOut, responses=_PREVIEW)
async def preview_draft(
    body: DraftPreviewRequest, principal: TemplateReader, settings: CurrentSettings
) -> RenderedOut:
    """Render a template that is not saved yet, as a recipient would get it. A syntax
    error, or a variable the data lacks, is a 422 naming the part and the line."""
    service.ensure_data_fits(body.data, settings.message_data_max_bytes)
    return service.render(body, body.data, max_chars=settings.rendered_max_chars)


@router.get("/{template_id}", response_model=TemplateOut, responses=_READ)
async def get_template(
    template_id: uuid.UUID, principal: TemplateReader, session: TenantSession
) -> TemplateOut:
    return TemplateOut.model_validate(await service.get_template(session, template_id))


@router.put("/{template_id}", response_model=TemplateOut, responses=_WRITE)
async def replace_template(
    template_id: uuid.UUID, body: TemplateBody, principal: TemplateEditor, session: TenantSession
) -> TemplateOut:
    """Replace a template's parts (its key stays); every part must compile."""
    template = await service.replace_template(session, template_id=template_id, body=body)
    return TemplateOut.model_validate(template)


@router.delete("/{template_id}", status_code=204, responses=_WRITE)
async def delete_template(
    template_id: uuid.UUID, principal: TemplateEditor, session: TenantSession
) -> Response:
    """Delete a template no enabled subscription sends."""
    await service.delete_template(session, template_id=template_id)
    return Response(status_code=204)


@router.post("/{template_id}/preview", response_model=RenderedOut, responses=_PREVIEW)
async def preview_template(
    template_id: uuid.UUID,
    body: PreviewRequest,
    principal: TemplateReader,
    session: TenantSession,
    settings: CurrentSettings,
) -> RenderedOut:
    """Render a stored template with ``data``."""
    service.ensure_data_fits(body.data, settings.message_data_max_bytes)
    return await service.preview_template(
        session, template_id=template_id, data=body.data, max_chars=settings.rendered_max_chars
    )
