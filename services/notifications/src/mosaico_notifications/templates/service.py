"""Templates: the tenant's own and the defaults, checked when saved, rendered in the
sandbox for a preview and for every message."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mosaico_shared.problems import Conflict, InvalidInput, NotFound, PayloadTooLarge
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.models import Template
from mosaico_notifications.subscriptions.repository import SubscriptionRepository
from mosaico_notifications.templates.defaults import DEFAULT_TEMPLATES
from mosaico_notifications.templates.repository import TemplateRepository
from mosaico_notifications.templates.sandbox import (
    PARTS,
    TemplateInvalid,
    check_syntax,
    render_part,
)
from mosaico_notifications.templates.schemas import RenderedOut, TemplateBody, TemplateCreate


def invalid_template(error: TemplateInvalid) -> InvalidInput:
    """The 422 for a template that does not compile or render, naming part and line."""
    problem = error.problem
    entry: dict[str, Any] = {"loc": ["body", problem.part], "msg": problem.message,
                             "type": "template"}  # fmt: skip
    if problem.line is not None:
        entry["line"] = problem.line
    return InvalidInput(f"Template {problem.describe()}", errors=[entry])


def ensure_data_fits(data: Mapping[str, Any], max_bytes: int) -> None:
    """Refuse (413) template data larger than ``max_bytes`` as JSON."""
    size = len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode())
    if size > max_bytes:
        raise PayloadTooLarge(f"data: {size} bytes as JSON; at most {max_bytes} are accepted.")


def render(
    parts: TemplateBody | Template, data: Mapping[str, Any], *, max_chars: int
) -> RenderedOut:
    """Every part of a template rendered with ``data`` (422 when one fails)."""
    try:
        rendered = {
            part: render_part(part, getattr(parts, part), data, max_chars=max_chars)
            for part in PARTS
        }
    except TemplateInvalid as error:
        raise invalid_template(error) from None
    return RenderedOut(**rendered)


async def list_templates(session: AsyncSession) -> list[Template]:
    """The tenant's templates, by key."""
    return await TemplateRepository(session).all()


async def get_template(session: AsyncSession, template_id: uuid.UUID) -> Template:
    """The template with ``template_id``; 404 when there is none."""
    template = await TemplateRepository(session).get_by_id(template_id)
    if template is None:
        raise NotFound(f"No template {template_id}.")
    return template


async def template_named(session: AsyncSession, key: str) -> Template:
    """The template messages call ``key``; 422 when there is none (a request named it)."""
    template = await TemplateRepository(session).by_key(key)
    if template is None:
        raise InvalidInput(f"template: there is no template {key!r}.")
    return template


def _ensure_compiles(body: TemplateBody) -> None:
    for part in PARTS:
        try:
            check_syntax(part, getattr(body, part))
        except TemplateInvalid as error:
            raise invalid_template(error) from None


async def create_template(session: AsyncSession, *, body: TemplateCreate) -> Template:
    """Add a template once every part compiles (422 naming the part and the line
    otherwise); its key must be free (409)."""
    _ensure_compiles(body)
    templates = TemplateRepository(session)
    if await templates.by_key(body.key) is not None:
        raise Conflict(f"key: a template is already called {body.key!r}.")
    template = Template(
        key=body.key, description=body.description, subject=body.subject, html=body.html,
        text=body.text,
    )  # fmt: skip
    templates.add(template)
    await session.flush()
    return template


async def replace_template(
    session: AsyncSession, *, template_id: uuid.UUID, body: TemplateBody
) -> Template:
    """Replace a template's parts once every part compiles; its key stays."""
    _ensure_compiles(body)
    template = await TemplateRepository(session).get_by_id(template_id, for_update=True)
    if template is None:
        raise NotFound(f"No template {template_id}.")
    template.description = body.description
    template.subject, template.html, template.text = body.subject, body.html, body.text
    template.updated_at = datetime.now(UTC)
    await session.flush()
    return template


async def delete_template(session: AsyncSession, *, template_id: uuid.UUID) -> None:
    """Delete a template no enabled subscription sends (409 while one does)."""
    template = await get_template(session, template_id)
    users = await SubscriptionRepository(session).enabled_using(template.key)
    if users:
        raise Conflict(
            f"The template {template.key!r} is sent on {', '.join(users)}; change those "
            "subscriptions first.",
            subscriptions=users,
        )
    await TemplateRepository(session).remove(template.key)


async def preview_template(
    session: AsyncSession, *, template_id: uuid.UUID, data: Mapping[str, Any], max_chars: int
) -> RenderedOut:
    """A stored template rendered with ``data``."""
    return render(await get_template(session, template_id), data, max_chars=max_chars)


async def seed_default_templates(session: AsyncSession) -> None:
    """Add the default templates the tenant does not have."""
    await TemplateRepository(session).add_missing(
        {"id": uuid.uuid4(), **template} for template in DEFAULT_TEMPLATES
    )
