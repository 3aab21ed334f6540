"""The onboarding routes every module gets: the operator migrates a tenant's database
and reads the schema version it is at, on paths no other route of the module takes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.fixtures.callers import caller_headers
from tests.fixtures.tenants import INTERNAL, TenantFactory


def test_the_schema_version_is_read_beside_onboarding_not_over_identitys_registry(
    identity: TestClient, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    onboarded = identity.post(f"/identity/internal/tenants/{tenant.slug}/onboard", headers=INTERNAL)
    status = identity.get(f"/identity/internal/tenants/{tenant.slug}/onboard", headers=INTERNAL)
    assert status.status_code == 200, status.text
    assert status.json() == onboarded.json()
    assert status.json()["database"] == f"identity_{tenant.slug.replace('-', '_')}"
    # The registry keeps its path, and services may still read it there.
    record = identity.get(
        f"/identity/internal/tenants/{tenant.slug}", headers=caller_headers("crm")
    )
    assert record.status_code == 200
    assert record.json()["slug"] == tenant.slug


def test_only_the_operator_reads_the_schema_version(
    identity: TestClient, make_tenant: TenantFactory
) -> None:
    tenant = make_tenant()
    response = identity.get(
        f"/identity/internal/tenants/{tenant.slug}/onboard", headers=caller_headers("crm")
    )
    assert response.status_code == 403
