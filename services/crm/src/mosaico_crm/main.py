"""The CRM service: ``uvicorn mosaico_crm.main:app`` (or ``create_app``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from mosaico_shared.app import create_service_app
from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.onboarding import onboarding_router

from mosaico_crm.activities import endpoints as activity_endpoints
from mosaico_crm.leads import endpoints as lead_endpoints
from mosaico_crm.models import OutboxEvent
from mosaico_crm.pipeline import endpoints as pipeline_endpoints
from mosaico_crm.pipeline.service import seed_defaults
from mosaico_crm.reports import endpoints as report_endpoints
from mosaico_crm.roles import ROLE_PERMISSIONS
from mosaico_crm.settings import CrmSettings

TENANT_MIGRATIONS = Path(__file__).parent / "migrations" / "tenant"


def create_app(settings: CrmSettings | None = None) -> FastAPI:
    """Build the CRM app from settings (the environment by default)."""
    settings = settings or CrmSettings()
    events = EventBackbone(settings, "crm", outbox=OutboxEvent)
    app: FastAPI = create_service_app(
        settings,
        description="Leads, the sales pipeline, stage history, activities and reports.",
        routers=[
            lead_endpoints.router,
            activity_endpoints.router,
            report_endpoints.router,
            pipeline_endpoints.router,
            onboarding_router("crm", TENANT_MIGRATIONS, seed=seed_defaults),
        ],
        role_permissions=ROLE_PERMISSIONS,
        lifespan=events.lifespan,
    )
    return app


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn mosaico_crm.main:app`` builds the app on first access, so importing this
    # module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
