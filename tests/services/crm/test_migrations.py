"""The CRM's migrations build exactly the schema its models describe, and undo it."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from mosaico_crm.main import TENANT_MIGRATIONS
from mosaico_crm.models import CrmBase
from mosaico_shared.migrations import alembic_config, upgrade_database
from sqlalchemy import create_engine, inspect, pool, text


def _not_the_search_index(obj, name, type_, reflected, compare_to) -> bool:
    # Autogenerate cannot compare expression indexes; test_search checks this one.
    return name != "ix_leads_search"


def test_the_migrated_schema_matches_the_models_and_downgrades_cleanly(postgres):
    postgres.create_database("crm_migration_check")
    url = postgres.url("crm_migration_check", user="mosaico")
    assert upgrade_database(TENANT_MIGRATIONS, url) == "0003"
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": _not_the_search_index}
            )
            differences = compare_metadata(context, CrmBase.metadata)
        assert differences == []
        command.downgrade(alembic_config(TENANT_MIGRATIONS, url), "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]
        assert upgrade_database(TENANT_MIGRATIONS, url) == "0003"
    finally:
        engine.dispose()


def test_the_database_owner_installs_accent_folding_without_being_a_superuser(postgres):
    postgres.create_database("crm_search_check")
    url = postgres.url("crm_search_check", user="mosaico")
    upgrade_database(TENANT_MIGRATIONS, url)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            assert (
                connection.scalar(
                    text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
                )
                is False
            )
            extensions = set(connection.scalars(text("SELECT extname FROM pg_extension")))
            assert {"unaccent", "pg_trgm"} <= extensions
            assert connection.scalar(
                text("SELECT mosaico_fold('Padaria PÃO Quente, São Paulo')")
            ) == ("padaria pao quente, sao paulo")
            volatility = connection.scalar(
                text("SELECT provolatile FROM pg_proc WHERE proname = 'mosaico_fold'")
            )
            assert volatility == "i"  # immutable: usable in an index
    finally:
        engine.dispose()
