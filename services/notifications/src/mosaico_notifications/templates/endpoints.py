"""``/notifications/v1/templates``: the tenant's templates and their previews."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
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
    TEMPLATE_KEY_PATTERN,
    DraftPreviewRequest,
    PreviewRequest,
    RenderedOut,
    TemplateBody,
    TemplateOut,
)

router = APIRouter(prefix="/notifications/v1/templates", tags=["templates"])

Key = Annotated[str, Path(pattern=TEMPLATE_KEY_PATTERN, examples=["convite"])]
_READ = problem_responses(Unauthorized, Forbidden, NotFound, InvalidInput)
_WRITE = problem_responses(MalformedBody, Unauthorized, Forbidden, NotFound, InvalidInput)
_PREVIEW = problem_responses(
    MalformedBody, Unauthorized, Forbidden, NotFound, PayloadTooLarge, InvalidInput
)


@router.get("", response_model=list[TemplateOut], responses=_READ)
async def list_templates(principal: TemplateReader, session: TenantSession) -> list[TemplateOut]:
    """Every template of the tenant, the defaults among them."""
    return [TemplateOut.model_validate(t) for t in await service.list_templates(session)]


@router.post("/preview", response_model=RenderedOut, responses=_PREVIEW)
async def preview_draft(
    body: DraftPreviewRequest, principal: TemplateReader, settings: CurrentSettings
) -> RenderedOut:
    """Render a template that is not saved yet, as a recipient would get it. A syntax
    error, or a variable the data lacks, is a 422 naming the part and the line."""
    service.ensure_data_fits(body.data, settings.message_data_max_bytes)
    return service.render(body, body.data, max_chars=settings.rendered_max_chars)


@router.get("/{key}", response_model=TemplateOut, responses=_READ)
async def get_template(key: Key, principal: TemplateReader, session: TenantSession) -> TemplateOut:
    return TemplateOut.model_validate(await service.get_template(session, key))


@router.put("/{key}", response_model=TemplateOut, responses=_WRITE)
async def save_template(
    key: Key, body: TemplateBody, principal: TemplateEditor, session: TenantSession,
    response: Response,
) -> TemplateOut:  # fmt: skip
    """Create (201) or replace (200) the template ``key``; every part must compile."""
    template, created = await service.save_template(session, key=key, body=body)
    response.status_code = 201 if created else 200
    return TemplateOut.model_validate(template)


@router.delete(
    "/{key}",
    status_code=204,
    responses=problem_responses(Unauthorized, Forbidden, NotFound, Conflict, InvalidInput),
)
async def delete_template(key: Key, principal: TemplateEditor, session: TenantSession) -> Response:
    """Delete a template no enabled subscription sends."""
    await service.delete_template(session, key=key)
    return Response(status_code=204)


@router.post("/{key}/preview", response_model=RenderedOut, responses=_PREVIEW)
async def preview_template(
    key: Key,
    body: PreviewRequest,
    principal: TemplateReader,
    session: TenantSession,
    settings: CurrentSettings,
) -> RenderedOut:
    """Render the stored template ``key`` with ``data``."""
    service.ensure_data_fits(body.data, settings.message_data_max_bytes)
    return await service.preview_template(
        session, key=key, data=body.data, max_chars=settings.rendered_max_chars
    )
