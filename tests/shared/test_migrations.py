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


def test_concurrent_upgrades_in_one_process_both_land(postgres):
    from concurrent.futures import ThreadPoolExecutor

    from mosaico_shared.migrations import upgrade_database

    names = [f"migc_{i}" for i in range(4)]
    for name in names:
        postgres.create_database(name)
    with ThreadPoolExecutor(max_workers=4) as pool:
        revisions = list(
            pool.map(lambda n: upgrade_database(TENANT_MIGRATIONS, postgres.url(n)), names)
        )
    assert len(set(revisions)) == 1
    assert revisions[0] is not None
