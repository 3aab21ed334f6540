"""Admin connection strings, read from Secrets: parsed without ever echoing them.

libpq's own parse errors quote the part of the string they stumbled on, which may be
the password; every DSN the operator handles goes through :func:`parse_dsn` instead.
"""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


class InvalidDsn(ValueError):
    """The string is not a libpq connection string; the message never quotes it."""


def parse_dsn(dsn: str) -> dict[str, str]:
    """The DSN's parameters (``host``, ``port``, ``password``...)."""
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.Error:
        raise InvalidDsn(
            "not a PostgreSQL connection string (postgresql://user:password@host:port/db "
            "or key=value pairs)"
        ) from None
    return {key: str(value) for key, value in parts.items() if value is not None}


def server_of(dsn: str) -> str:
    """``host:port`` of a DSN, for messages (never the password)."""
    parts = parse_dsn(dsn)
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}"


def with_database(dsn: str, database: str, **options: str | int) -> str:
    """The DSN pointed at ``database`` (password included: for connecting only)."""
    return make_conninfo(make_conninfo(**parse_dsn(dsn)), dbname=database, **options)


def without_password(dsn: str, database: str) -> tuple[str, dict[str, str]]:
    """The DSN pointed at ``database`` with no password, and the environment
    (``PGPASSWORD``) that gives a PostgreSQL client program the password instead."""
    parts = parse_dsn(dsn)
    password = parts.pop("password", None)
    parts["dbname"] = database
    return make_conninfo(**parts), ({"PGPASSWORD": password} if password is not None else {})
