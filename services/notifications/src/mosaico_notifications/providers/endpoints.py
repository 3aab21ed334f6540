"""``/notifications/v1/providers``: how the tenant's messages leave (its SMTP server,
its webhook endpoint). Secrets are write-only."""

from __future__ import annotations

from fastapi import APIRouter, Response
from mosaico_shared.problems import (
    Forbidden,
    InvalidInput,
    MalformedBody,
    NotFound,
    Unauthorized,
    problem_responses,
)
from mosaico_shared.tenancy.session import TenantSession

from mosaico_notifications.providers import service
from mosaico_notifications.providers.auth import ProviderEditor, ProviderReader, ProviderSecrets
from mosaico_notifications.providers.schemas import (
    EmailProviderOut,
    EmailProviderUpdate,
    ProvidersOut,
    WebhookProviderOut,
    WebhookProviderUpdate,
)
from mosaico_notifications.settings import CurrentSettings

router = APIRouter(prefix="/notifications/v1/providers", tags=["providers"])

_WRITE = problem_responses(MalformedBody, Unauthorized, Forbidden, InvalidInput)


@router.get("", response_model=ProvidersOut, responses=problem_responses(Unauthorized, Forbidden))
async def get_providers(principal: ProviderReader, session: TenantSession) -> ProvidersOut:
    """Both channels' settings; secrets only as ``password_set`` / ``secret_set``."""
    return await service.get_providers(session)


@router.put("/email", response_model=EmailProviderOut, responses=_WRITE)
async def save_email_provider(
    body: EmailProviderUpdate,
    principal: ProviderEditor,
    box: ProviderSecrets,
    session: TenantSession,
    settings: CurrentSettings,
) -> EmailProviderOut:
    """Send the tenant's e-mail through its own SMTP server."""
    return await service.save_email_provider(
        session, tenant=principal.tenant, body=body, box=box,
        allow_private=settings.allow_private_destinations,
    )  # fmt: skip


@router.put("/webhook", response_model=WebhookProviderOut, responses=_WRITE)
async def save_webhook_provider(
    body: WebhookProviderUpdate,
    principal: ProviderEditor,
    box: ProviderSecrets,
    session: TenantSession,
    settings: CurrentSettings,
) -> WebhookProviderOut:
    """Deliver the tenant's webhook messages to this endpoint, signed with its secret."""
    return await service.save_webhook_provider(
        session, tenant=principal.tenant, body=body, box=box,
        allow_private=settings.allow_private_destinations,
    )  # fmt: skip


_REMOVE = problem_responses(Unauthorized, Forbidden, NotFound)


@router.delete("/email", status_code=204, responses=_REMOVE)
async def remove_email_provider(principal: ProviderEditor, session: TenantSession) -> Response:
    """Forget the tenant's SMTP server: e-mail goes through the platform's again."""
    await service.remove_provider(session, channel="email")
    return Response(status_code=204)


@router.delete("/webhook", status_code=204, responses=_REMOVE)
async def remove_webhook_provider(principal: ProviderEditor, session: TenantSession) -> Response:
    """Forget the tenant's webhook endpoint: webhook messages cannot be sent until
    another is set."""
    await service.remove_provider(session, channel="webhook")
    return Response(status_code=204)
