"""Provider settings: stored per tenant, secrets sealed; and what the delivery worker
needs of them (the SMTP server and the webhook endpoint of a tenant)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mosaico_shared.problems import InvalidInput, NotFound
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.channels import Channel, is_public_literal
from mosaico_notifications.channels.email import SmtpServer
from mosaico_notifications.channels.webhook import WebhookEndpoint
from mosaico_notifications.models import ProviderSettings
from mosaico_notifications.providers.repository import ProviderRepository
from mosaico_notifications.providers.schemas import (
    EmailProviderOut,
    EmailProviderUpdate,
    ProvidersOut,
    WebhookProviderOut,
    WebhookProviderUpdate,
)
from mosaico_notifications.providers.secrets import SecretBox
from mosaico_notifications.settings import NotificationsSettings


def _email_out(row: ProviderSettings | None) -> EmailProviderOut:
    if row is None:
        return EmailProviderOut(configured=False)
    return EmailProviderOut(
        configured=True, password_set=row.secret is not None, updated_at=row.updated_at,
        **row.config,
    )  # fmt: skip


def _webhook_out(row: ProviderSettings | None) -> WebhookProviderOut:
    if row is None:
        return WebhookProviderOut(configured=False)
    return WebhookProviderOut(
        configured=True, url=row.config["url"], secret_set=row.secret is not None,
        updated_at=row.updated_at,
    )  # fmt: skip


def _ensure_reachable_host(host: str, *, allow_private: bool, field: str) -> None:
    if not allow_private and not is_public_literal(host):
        raise InvalidInput(f"{field}: {host} is not a public address.")


async def get_providers(session: AsyncSession) -> ProvidersOut:
    """Both channels' settings, secrets left out."""
    providers = ProviderRepository(session)
    return ProvidersOut(
        email=_email_out(await providers.of("email")),
        webhook=_webhook_out(await providers.of("webhook")),
    )


async def _save(
    session: AsyncSession,
    *,
    channel: Channel,
    config: dict[str, Any],
    secret: bytes | None,
    keep_secret: bool,
) -> ProviderSettings:
    providers = ProviderRepository(session)
    row = await providers.of(channel, for_update=True)
    if row is None:
        row = ProviderSettings(channel=channel, config=config, secret=secret)
        providers.add(row)
    else:
        row.config = config
        if not keep_secret:
            row.secret = secret
        row.updated_at = datetime.now(UTC)
    await session.flush()
    await session.refresh(row)
    return row


async def save_email_provider(
    session: AsyncSession,
    *,
    tenant: str,
    body: EmailProviderUpdate,
    box: SecretBox,
    allow_private: bool,
) -> EmailProviderOut:
    """Use the tenant's own SMTP server from now on."""
    _ensure_reachable_host(body.host, allow_private=allow_private, field="host")
    config = body.model_dump(mode="json", exclude={"password"})
    keep = "password" not in body.model_fields_set
    secret = (
        box.seal(body.password.get_secret_value(), tenant=tenant, channel="email")
        if body.password is not None
        else None
    )
    row = await _save(session, channel="email", config=config, secret=secret, keep_secret=keep)
    return _email_out(row)


async def save_webhook_provider(
    session: AsyncSession,
    *,
    tenant: str,
    body: WebhookProviderUpdate,
    box: SecretBox,
    allow_private: bool,
) -> WebhookProviderOut:
    """Deliver the tenant's webhook messages to ``body.url``, signed with its secret."""
    _ensure_reachable_host(body.url.host or "", allow_private=allow_private, field="url")
    existing = await ProviderRepository(session).of("webhook")
    if body.secret is None and (existing is None or existing.secret is None):
        raise InvalidInput("secret: a webhook endpoint needs its signing secret the first time.")
    secret = (
        box.seal(body.secret.get_secret_value(), tenant=tenant, channel="webhook")
        if body.secret is not None
        else None
    )
    row = await _save(
        session, channel="webhook", config={"url": str(body.url)}, secret=secret,
        keep_secret=body.secret is None,
    )  # fmt: skip
    return _webhook_out(row)


async def remove_provider(session: AsyncSession, *, channel: Channel) -> None:
    """Forget the channel's settings (e-mail goes through the platform's server again)."""
    providers = ProviderRepository(session)
    if await providers.of(channel) is None:
        raise NotFound(f"No {channel} settings.")
    await providers.remove(channel)


async def webhook_configured(session: AsyncSession) -> bool:
    """Whether the tenant has a webhook endpoint."""
    return await ProviderRepository(session).of("webhook") is not None


async def smtp_server_for(
    session: AsyncSession,
    *,
    tenant: str,
    box: SecretBox | None,
    settings: NotificationsSettings,
) -> SmtpServer:
    """The tenant's SMTP server, else the platform's."""
    row = await ProviderRepository(session).of("email")
    if row is None:
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return SmtpServer(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            sender=settings.smtp_from, username=settings.smtp_username, password=password,
            timeout=settings.smtp_timeout_seconds, trusted=True,
        )  # fmt: skip
    config = row.config
    name, address = config.get("from_name"), config["from_address"]
    password = None
    if row.secret is not None:
        if box is None:
            raise LookupError("the provider secrets key is not set")
        password = box.open(row.secret, tenant=tenant, channel="email")
    return SmtpServer(
        host=config["host"], port=config["port"], security=config["security"],
        sender=f"{name} <{address}>" if name else address, username=config.get("username"),
        password=password, timeout=settings.smtp_timeout_seconds, trusted=False,
    )  # fmt: skip


async def webhook_endpoint_for(
    session: AsyncSession, *, tenant: str, box: SecretBox | None
) -> WebhookEndpoint | None:
    """The tenant's webhook endpoint, None when it has none."""
    row = await ProviderRepository(session).of("webhook")
    if row is None or row.secret is None:
        return None
    if box is None:
        raise LookupError("the provider secrets key is not set")
    return WebhookEndpoint(
        url=row.config["url"], secret=box.open(row.secret, tenant=tenant, channel="webhook")
    )
