"""Templates: the tenant's own and the defaults, checked when saved, rendered in the
sandbox for a preview and for every message."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
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
from mosaico_notifications.templates.schemas import RenderedOut, TemplateBody


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


async def get_template(session: AsyncSession, key: str) -> Template:
    """The template called ``key``; 404 when there is none."""
    template = await TemplateRepository(session).by_key(key)
    if template is None:
        raise NotFound(f"No template {key!r}.")
    return template


async def save_template(
    session: AsyncSession, *, key: str, body: TemplateBody
) -> tuple[Template, bool]:
    """Create or replace the template ``key`` once every part compiles (422 naming the
    part and the line otherwise). Returns it and whether it is new."""
    for part in PARTS:
        try:
            check_syntax(part, getattr(body, part))
        except TemplateInvalid as error:
            raise invalid_template(error) from None
    templates = TemplateRepository(session)
    template = await templates.by_key(key, for_update=True)
    created = template is None
    if template is None:
        template = Template(key=key)
        templates.add(template)
    template.description = body.description
    template.subject, template.html, template.text = body.subject, body.html, body.text
    await session.flush()
    await session.refresh(template)
    return template, created


async def delete_template(session: AsyncSession, *, key: str) -> None:
    """Delete a template no enabled subscription sends (409 while one does)."""
    await get_template(session, key)
    users = await SubscriptionRepository(session).enabled_using(key)
    if users:
        raise Conflict(
            f"The template {key!r} is sent on {', '.join(users)}; change those "
            "subscriptions first.",
            subscriptions=users,
        )
    await TemplateRepository(session).remove(key)


async def preview_template(
    session: AsyncSession, *, key: str, data: Mapping[str, Any], max_chars: int
) -> RenderedOut:
    """The stored template ``key`` rendered with ``data``."""
    return render(await get_template(session, key), data, max_chars=max_chars)


async def seed_default_templates(session: AsyncSession) -> None:
    """Add the default templates the tenant does not have."""
    await TemplateRepository(session).add_missing(
        {"id": uuid.uuid4(), **template} for template in DEFAULT_TEMPLATES
    )
