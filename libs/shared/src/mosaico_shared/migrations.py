"""Alembic migrations of a module, applied to one tenant database or to all of them."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, pool, text
from sqlalchemy.engine import make_url

_ALEMBIC = threading.Lock()
_MIGRATION_LOCK = 0x4D494752  # advisory locks are per database: one lock per tenant DB


def alembic_config(script_location: Path, url: str) -> Config:
    """An Alembic config for ``script_location`` aimed at ``url`` (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # ConfigParser interpolates '%'; a password may hold one.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run_migrations(config: Config, target_metadata: MetaData) -> None:
    """The body of every module's ``env.py``: migrate online, in one transaction."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        from alembic import context

        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            # Replicas starting together, or an onboarding retried while the first call
            # still runs, wait here instead of racing on the same DDL.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            context.run_migrations()
    engine.dispose()


def current_revision(url: str) -> str | None:
    """The revision a database is at (None before the first migration)."""
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade_database(script_location: Path, url: str, revision: str = "head") -> str | None:
    """Migrate one database to ``revision``; returns the revision it is at afterwards."""
    # Alembic keeps its migration context in module globals: one upgrade per process
    # at a time, or concurrent onboardings trip over each other's context.
    with _ALEMBIC:
        command.upgrade(alembic_config(script_location, url), revision)
    return current_revision(url)


async def upgrade_database_async(
    script_location: Path, url: str, revision: str = "head"
) -> str | None:
    """``upgrade_database`` off the event loop (Alembic is synchronous)."""
    return await asyncio.to_thread(upgrade_database, script_location, url, revision)


def module_databases(server_url: str, module: str) -> list[str]:
    """Every tenant database of ``module`` on the server (``<module>_*``)."""
    admin = make_url(server_url).set(database="postgres")
    engine = create_engine(admin, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT datname FROM pg_database "
                    "WHERE datname LIKE :prefix ESCAPE '\\' AND NOT datistemplate "
                    "ORDER BY datname"
                ),
                {"prefix": module + "\\_%"},
            )
            return [row[0] for row in rows if row[0] != f"{module}_platform"]
    finally:
        engine.dispose()


def upgrade_all_tenants(
    script_location: Path, server_url: str, module: str
) -> dict[str, str | None]:
    """Migrate every tenant database of ``module``; database name -> revision after."""
    base = make_url(server_url)
    return {
        name: upgrade_database(
            script_location, base.set(database=name).render_as_string(hide_password=False)
        )
        for name in module_databases(server_url, module)
    }


def migrate_all_command(module: str, script_location: Path, database_url: str) -> int:
    """Body of each service's ``python -m mosaico_<module>.migrate``: bring every tenant
    database of the module to head (run when a new module version rolls out)."""
    results = upgrade_all_tenants(script_location, database_url, module)
    for database, revision in results.items():
        print(f"{database}: {revision}")
    print(f"{module}: {len(results)} tenant database(s) at head")
    return 0
