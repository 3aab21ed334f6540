"""The CRM in this process, on the session's PostgreSQL, trusting the real identity."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from mosaico_crm.main import create_app
from mosaico_crm.settings import CrmSettings
from mosaico_devstack.postgres import LocalPostgres

from tests.fixtures.callers import internal_auth_settings
from tests.fixtures.tenants import TenantFactory, TestTenant, make_tenant_factory


@pytest.fixture(scope="session")
def crm(postgres: LocalPostgres, identity_server: str) -> Iterator[TestClient]:
    """The CRM app; identity (a real uvicorn process) serves JWKS and tenant status."""
    settings = CrmSettings(
        database_url=postgres.module_url("crm"),
        **internal_auth_settings("crm"),
        identity_url=identity_server,
        tenant_status_ttl_seconds=0.01,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def identity_http_client(identity_server: str) -> Iterator[httpx.Client]:
    """The real identity over HTTP, for provisioning tenants and logging in."""
    with httpx.Client(base_url=identity_server, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def make_crm_tenant(
    postgres: LocalPostgres, identity_http_client: httpx.Client, crm: TestClient
) -> TenantFactory:
    """A fresh tenant with the CRM enabled (pass ``modules=()`` for one without it)."""
    factory = make_tenant_factory(postgres, identity_http_client, module_clients={"crm": crm})

    def make(**kwargs: object) -> TestTenant:
        kwargs.setdefault("modules", ("crm",))
        return factory(**kwargs)

    return make
