"""Tenant engines are created lazily and bounded by an LRU."""

from __future__ import annotations

import asyncio

from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name
from sqlalchemy import text


def test_database_names_follow_the_module_tenant_convention():
    assert database_name("crm", "acme-foods") == "crm_acme_foods"


def test_engines_are_bounded_and_the_least_recently_used_is_disposed(postgres):
    tenants = ["lru-a", "lru-b", "lru-c"]
    for tenant in tenants:
        postgres.create_database(database_name("lru", tenant))

    async def scenario() -> tuple[int, list[str]]:
        databases = TenantDatabases(postgres.app_url, "lru", max_engines=2)
        names = []
        for tenant in [*tenants, "lru-a"]:
            async with databases.engine_for(tenant).connect() as connection:
                names.append(await connection.scalar(text("SELECT current_database()")))
        open_engines = databases.open_engines
        await databases.dispose_all()
        return open_engines, names

    open_engines, names = asyncio.run(scenario())
    assert open_engines == 2
    assert names == ["lru_lru_a", "lru_lru_b", "lru_lru_c", "lru_lru_a"]
