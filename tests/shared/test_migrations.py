"""Migrating one tenant database, or every tenant database of a module."""

from __future__ import annotations

from mosaico_identity.main import TENANT_MIGRATIONS
from mosaico_shared.migrations import current_revision, module_databases, upgrade_all_tenants


def test_every_tenant_database_of_a_module_is_brought_to_head(postgres):
    for name in ("migr_one", "migr_two", "migr_platform", "migrx_other"):
        postgres.create_database(name)
    assert module_databases(postgres.app_url, "migr") == ["migr_one", "migr_two"]
    results = upgrade_all_tenants(TENANT_MIGRATIONS, postgres.app_url, "migr")
    assert set(results) == {"migr_one", "migr_two"}
    head = results["migr_one"]
    assert head is not None
    assert current_revision(postgres.url("migr_two")) == head
    assert current_revision(postgres.url("migrx_other")) is None
    # A second run is a no-op.
    assert upgrade_all_tenants(TENANT_MIGRATIONS, postgres.app_url, "migr") == results
