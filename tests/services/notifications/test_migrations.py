"""notifications' migrations build exactly the schema its models describe, and undo it."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from mosaico_notifications.main import TENANT_MIGRATIONS
from mosaico_notifications.models import NotificationsBase
from mosaico_shared.migrations import alembic_config, upgrade_database
from sqlalchemy import create_engine, inspect, pool


def test_the_migrated_schema_matches_the_models_and_downgrades_cleanly(postgres):
    # Not notifications_<tenant>: no running worker scans it.
    postgres.create_database("notifmigration_check")
    url = postgres.url("notifmigration_check", user="mosaico")
    assert upgrade_database(TENANT_MIGRATIONS, url) == "0001"
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           NotificationsBase.metadata)  # fmt: skip
        assert differences == []
        command.downgrade(alembic_config(TENANT_MIGRATIONS, url), "base")
        assert inspect(engine).get_table_names() == ["alembic_version"]
        assert upgrade_database(TENANT_MIGRATIONS, url) == "0001"
    finally:
        engine.dispose()
