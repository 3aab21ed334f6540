"""Service settings: database URLs are secrets, in errors and in their printed form."""

from __future__ import annotations

import pytest
from mosaico_shared.settings import ServiceSettings
from pydantic import ValidationError


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://mosaico:hunter2-secret@db:not-a-port/postgres",
        "hunter2-secret",
    ],
)
def test_a_database_url_that_does_not_parse_is_never_echoed(url: str) -> None:
    with pytest.raises(ValidationError) as failure:
        ServiceSettings(database_url=url)  # type: ignore[arg-type]

    assert "MOSAICO_DATABASE_URL is not a database URL" in str(failure.value)
    assert "hunter2-secret" not in str(failure.value)


def test_a_failed_setting_never_echoes_its_input() -> None:
    with pytest.raises(ValidationError) as failure:
        ServiceSettings(
            internal_auth="digests",
            internal_caller_digests={"operator": "hunter2-is-no-digest"},
        )

    assert "hunter2" not in str(failure.value)


def test_the_database_url_prints_masked_and_keeps_its_value() -> None:
    settings = ServiceSettings(
        database_url="postgresql://mosaico:hunter2-secret@db:5432/postgres",  # type: ignore[arg-type]
    )

    assert "hunter2-secret" not in repr(settings)
    assert settings.database_url.get_secret_value() == (
        "postgresql+psycopg://mosaico:hunter2-secret@db:5432/postgres"
    )


def test_a_database_host_points_the_url_at_the_pooler_and_keeps_the_credentials() -> None:
    settings = ServiceSettings(
        database_url="postgresql://crm:hunter2-secret@mosaico-postgres-rw.mosaico.svc:5432/postgres",  # type: ignore[arg-type]
        database_host="mosaico-postgres-pooler-rw.mosaico.svc:6432",
    )

    assert settings.database_url.get_secret_value() == (
        "postgresql+psycopg://crm:hunter2-secret@mosaico-postgres-pooler-rw.mosaico.svc:6432/postgres"
    )


@pytest.mark.parametrize("host", [":5432", "pooler:port"])
def test_a_database_host_that_is_not_host_port_is_refused(host: str) -> None:
    with pytest.raises(ValidationError, match="MOSAICO_DATABASE_HOST"):
        ServiceSettings(database_host=host)


def test_a_connection_budget_above_twenty_is_refused() -> None:
    with pytest.raises(ValidationError, match="db_connection_budget"):
        ServiceSettings(db_connection_budget=64)
