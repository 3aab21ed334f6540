"""The finance service: ``uvicorn mosaico_finance.main:app`` (or ``create_app``)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from mosaico_shared.app import create_service_app
from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.onboarding import onboarding_router

from mosaico_finance.accounts import endpoints as account_endpoints
from mosaico_finance.categories import endpoints as category_endpoints
from mosaico_finance.categories.service import seed_default_categories
from mosaico_finance.income.events import payment_income
from mosaico_finance.models import OutboxEvent
from mosaico_finance.reports import endpoints as report_endpoints
from mosaico_finance.roles import ROLE_PERMISSIONS
from mosaico_finance.settings import FinanceSettings
from mosaico_finance.transactions import endpoints as transaction_endpoints

TENANT_MIGRATIONS = Path(__file__).parent / "migrations" / "tenant"


def create_app(settings: FinanceSettings | None = None) -> FastAPI:
    """Build the finance app from settings (the environment by default)."""
    settings = settings or FinanceSettings()
    events = EventBackbone(settings, "finance", outbox=OutboxEvent, consumers=[payment_income])
    app: FastAPI = create_service_app(
        settings,
        description="Bank accounts, financial transactions, categories, cash-flow reports.",
        routers=[
            account_endpoints.router,
            transaction_endpoints.router,
            category_endpoints.router,
            report_endpoints.router,
            onboarding_router("finance", TENANT_MIGRATIONS, seed=seed_default_categories),
            events.router(),
        ],
        role_permissions=ROLE_PERMISSIONS,
        lifespan=events.lifespan,
    )
    return app


def __getattr__(name: str) -> FastAPI:
    # ``uvicorn mosaico_finance.main:app`` builds the app on first access, so importing
    # this module (tests, tools) never reads the environment.
    if name == "app":
        return create_app()
    raise AttributeError(name)
