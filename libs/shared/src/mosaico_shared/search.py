"""Text search that ignores case and accents, the same way in every module.

``q=pao`` finds "Padaria Pão Quente": both sides go through ``mosaico_fold(text)``, an
``IMMUTABLE`` SQL function (lower case, accents removed), so an expression index can
hold the folded text. ``unaccent`` itself is only ``STABLE`` (it looks its dictionary up
through ``search_path``); the wrapper names the function and the dictionary by schema,
which is what makes declaring it immutable safe.

A module's migration calls :func:`install_accent_folding` once, then builds a trigram
index over the folded columns with :func:`create_search_index`; its repository filters
with :func:`folded_contains`. ``unaccent`` and ``pg_trgm`` are trusted extensions
(PostgreSQL 13+), so the database's owner (the module's role, not a superuser) creates
them. On a server without them (the embedded ``pgserver`` of ``make up`` ships no
contrib extensions) the fold falls back to a ``translate()`` of the Latin accented
letters and no trigram index is built: search still works, by a scan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, literal, literal_column

FOLD_FUNCTION = "mosaico_fold"

_ACCENTED = "áàâãäåéèêëíìîïóòôõöúùûüçñýÿÁÀÂÃÄÅÉÈÊËÍÌÎÏÓÒÔÕÖÚÙÛÜÇÑÝ"
_PLAIN = "aaaaaaeeeeiiiiooooouuuucnyyaaaaaaeeeeiiiiooooouuuucny"

INSTALL_ACCENT_FOLDING = f"""
DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'unaccent') THEN
        CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;
        CREATE OR REPLACE FUNCTION public.{FOLD_FUNCTION}(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1));
    ELSE
        CREATE OR REPLACE FUNCTION public.{FOLD_FUNCTION}(text) RETURNS text
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            RETURN lower(translate($1, '{_ACCENTED}', '{_PLAIN}'));
    END IF;
    IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    END IF;
END
$do$;
"""  # noqa: S608 - constants only

DROP_ACCENT_FOLDING = f"DROP FUNCTION IF EXISTS public.{FOLD_FUNCTION}(text)"


def searchable_text_sql(*columns: str) -> str:
    """The folded document over ``columns`` as SQL (for an index and its query alike):
    ``mosaico_fold(coalesce(a, '') || ' ' || coalesce(b, ''))``."""
    joined = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
    return f"{FOLD_FUNCTION}({joined})"


def create_search_index_sql(name: str, table: str, *columns: str, where: str = "") -> str:
    """A trigram GIN index over the folded ``columns`` of ``table``, built only where
    ``pg_trgm`` is installed (see the module's docstring)."""
    predicate = f" WHERE {where}" if where else ""
    return f"""
DO $do$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX IF NOT EXISTS {name} ON {table}
            USING gin (({searchable_text_sql(*columns)}) public.gin_trgm_ops){predicate};
    END IF;
END
$do$;
"""


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (``%``, ``_``) and the escape (``\\``) escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def searchable_text(*columns: ColumnElement[Any]) -> ColumnElement[str]:
    """The SQLAlchemy twin of :func:`searchable_text_sql`, so the query is exactly the
    indexed expression and the planner can use the index."""
    separator: ColumnElement[str] = literal_column("' '")
    parts: list[ColumnElement[Any]] = []
    for column in columns:
        if parts:
            parts.append(separator)
        parts.append(func.coalesce(column, literal_column("''")))
    document = parts[0]
    for part in parts[1:]:
        document = document.op("||")(part)
    return getattr(func, FOLD_FUNCTION)(document)  # type: ignore[no-any-return]


def folded_contains(document: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """``document`` contains ``text``, ignoring case and accents (``pao`` in "Pão")."""
    pattern = getattr(func, FOLD_FUNCTION)(literal(f"%{escape_like(text)}%"))
    return document.like(pattern, escape="\\")
