"""The notifications service: ``uvicorn mosaico_notifications.main:app`` (or
``create_app``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from mosaico_shared.app import create_service_app
from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.onboarding import onboarding_router
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_notifications.delivery.worker import DeliveryWorker
from mosaico_notifications.messages import endpoints as message_endpoints
from mosaico_notifications.models import OutboxEvent
from mosaico_notifications.providers import endpoints as provider_endpoints
from mosaico_notifications.providers.secrets import provider_secret_box
from mosaico_notifications.roles import ROLE_PERMISSIONS
from mosaico_notifications.settings import NotificationsSettings
from mosaico_notifications.subscriptions import endpoints as subscription_endpoints
from mosaico_notifications.subscriptions.events import TenantNames, event_messages
from mosaico_notifications.subscriptions.service import seed_defaults
from mosaico_notifications.templates import endpoints as template_endpoints

TENANT_MIGRATIONS = Path(__file__).parent / "migrations" / "tenant"


def create_app(settings: NotificationsSettings | None = None) -> FastAPI:
    """Build the notifications app from settings (the environment by default)."""
    settings = settings or NotificationsSettings()
    box = provider_secret_box(settings)
    names = TenantNames()
    app: FastAPI | None = None

    def wake(session: AsyncSession, tenant: str) -> None:
        assert app is not None
        app.state.delivery.wake_after_commit(session, tenant)

    events = EventBackbone(
        settings,
        "notifications",
        outbox=OutboxEvent,
        consumers=[event_messages(settings, wake=wake, names=names)],
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = DeliveryWorker(app.state.databases, settings, box=box, http=app.state.http)
        app.state.delivery = worker
        worker.start()
        try:
            async with events.lifespan(app):
                yield
        finally:
            await worker.close()

    app = create_service_app(
        settings,
        description="Templates, e-mail over SMTP, signed webhooks, the delivery log, retries.",
        routers=[
            message_endpoints.router,
            template_endpoints.router,
            subscription_endpoints.router,
            provider_endpoints.router,
            onboarding_router("notifications", TENANT_MIGRATIONS, seed=seed_defaults),
            events.router(),
        ],
        role_permissions=ROLE_PERMISSIONS,
        lifespan=lifespan,
    )
    app.state.provider_secrets = box
    names.source = app.state.tenant_status
    return app


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn mosaico_notifications.main:app`` builds the app on first access, so
    # importing this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
