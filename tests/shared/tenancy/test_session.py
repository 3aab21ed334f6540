"""``tenant_session_for`` owns the transaction: committed on success, rolled back on
error, and committed anyway for the errors that record something."""

from __future__ import annotations

import asyncio

import pytest
from mosaico_shared.problems import Unauthorized
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name
from mosaico_shared.tenancy.session import tenant_session_for
from sqlalchemy import text

TENANT = "session-owner"


class Refused(Unauthorized):
    pass


@pytest.fixture
def outcome_of(postgres):
    """Runs ``body`` in a tenant session, then reads back what was kept."""
    postgres.create_database(database_name("sessions", TENANT))

    def run(body) -> tuple[str | None, list[str]]:
        async def main() -> tuple[str | None, list[str]]:
            databases = TenantDatabases(postgres.app_url, "sessions")
            try:
                async with databases.engine_for(TENANT).begin() as connection:
                    await connection.execute(text("DROP TABLE IF EXISTS marks"))
                    await connection.execute(text("CREATE TABLE marks (what text)"))
                raised = None
                try:
                    await body(databases)
                except Exception as exc:
                    raised = type(exc).__name__
                async with databases.engine_for(TENANT).connect() as connection:
                    kept = list(await connection.scalars(text("SELECT what FROM marks")))
                return raised, kept
            finally:
                await databases.dispose_all()

        return asyncio.run(main())

    return run


async def _mark_then(databases: TenantDatabases, error: Exception | None, **options) -> None:
    async with tenant_session_for(databases, TENANT, **options) as session:
        await session.execute(text("INSERT INTO marks VALUES ('done')"))
        if error is not None:
            raise error


def test_work_that_succeeds_is_committed(outcome_of):
    assert outcome_of(lambda db: _mark_then(db, None)) == (None, ["done"])


def test_work_that_raises_is_rolled_back(outcome_of):
    assert outcome_of(lambda db: _mark_then(db, Refused("no"))) == ("Refused", [])


def test_errors_named_in_commit_on_are_committed_and_still_raised(outcome_of):
    kept = outcome_of(lambda db: _mark_then(db, Refused("no"), commit_on=(Unauthorized,)))
    assert kept == ("Refused", ["done"])


def test_other_errors_roll_back_even_with_commit_on(outcome_of):
    kept = outcome_of(lambda db: _mark_then(db, ValueError("bug"), commit_on=(Unauthorized,)))
    assert kept == ("ValueError", [])


def test_a_tenant_without_a_database_fails_before_the_work_starts(postgres):
    started = []

    async def main() -> None:
        databases = TenantDatabases(postgres.app_url, "sessions")
        try:
            async with tenant_session_for(databases, "nobody-here"):
                started.append(True)
        finally:
            await databases.dispose_all()

    with pytest.raises(Exception, match="does not exist"):
        asyncio.run(main())
    assert started == []
