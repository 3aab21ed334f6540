"""finance in this process, against the real identity (uvicorn) and a real PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from mosaico_devstack.postgres import LocalPostgres
from mosaico_finance.main import create_app
from mosaico_finance.settings import FinanceSettings

from tests.fixtures.callers import internal_auth_settings
from tests.fixtures.tenants import TenantFactory, make_tenant_factory


@pytest.fixture(scope="session")
def finance(postgres: LocalPostgres, identity_server: str) -> Iterator[TestClient]:
    """The finance app; tokens are checked against identity's JWKS over HTTP and the
    tenant status (limits, modules) is read from identity almost uncached."""
    settings = FinanceSettings(
        database_url=postgres.module_url("finance"),
        **internal_auth_settings("finance"),
        identity_url=identity_server,
        tenant_status_ttl_seconds=0.01,
        log_json=True,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def make_finance_tenant(
    postgres: LocalPostgres, identity_http: httpx.Client, finance: TestClient
) -> TenantFactory:
    """A fresh tenant with finance enabled and onboarded (``limits=`` as needed)."""
    factory = make_tenant_factory(postgres, identity_http, module_clients={"finance": finance})
    return functools.partial(factory, modules=("finance",))


@pytest.fixture(scope="session")
def shared_finance_tenants(
    postgres: LocalPostgres, identity_server: str, finance: TestClient
) -> Iterator[TenantFactory]:
    """Like ``make_finance_tenant``, for module-scoped fixtures whose tenant many
    read-mostly tests share."""
    with httpx.Client(base_url=identity_server, timeout=10) as identity:
        factory = make_tenant_factory(postgres, identity, module_clients={"finance": finance})
        yield functools.partial(factory, modules=("finance",))


@pytest.fixture
def make_tenant_without_finance(
    postgres: LocalPostgres, identity_http: httpx.Client
) -> TenantFactory:
    return make_tenant_factory(postgres, identity_http)
