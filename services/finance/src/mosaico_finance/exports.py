"""CSV documents (``text/csv``): transactions and every report, in two dialects.

``standard`` is for programs: UTF-8, ``,`` between fields, ``.`` in decimals, ISO dates.
``br`` is what a spreadsheet set to Portuguese (Brazil) opens as columns without an
import wizard: a UTF-8 byte order mark (so accents survive), ``;`` between fields and
``,`` in decimals (``1234,56``).

Either way, text that a spreadsheet would run as a formula (``=HYPERLINK(...)``,
``+cmd|...``, ``@SUM(...)``, ``-2+3``, or a leading tab or carriage return) is written
with a leading apostrophe, which spreadsheets show as text. Numbers and dates are ours,
so they are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import Query, Response

CSV_MEDIA_TYPE = "text/csv"

CsvDialect = Literal["standard", "br"]
Dialect = Annotated[
    CsvDialect,
    Query(
        description="standard: `,` and `1234.56`, for programs; br: UTF-8 BOM, `;` and "
        "`1234,56`, for spreadsheets in Portuguese (Brazil)"
    ),
]

#: OpenAPI ``responses=`` entry of an endpoint that can answer CSV.
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}}
}

Cell = str | int | Decimal | date | None

#: What makes a spreadsheet read a cell as a formula (or as a command, via DDE).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_SEPARATORS: dict[CsvDialect, str] = {"standard": ",", "br": ";"}


def neutralize(text: str) -> str:
    """``text`` as a spreadsheet shows it but never evaluates it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Cell, dialect: CsvDialect) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # As written (``1234.50``): no float, no exponent, no thousands separator.
        number = f"{value:f}"
        return number.replace(".", ",") if dialect == "br" else number
    if isinstance(value, int):
        return str(value)
    return neutralize(value)


def csv_document(
    header: Sequence[str], rows: Iterable[Sequence[Cell]], dialect: CsvDialect = "standard"
) -> bytes:
    """A header line, then one line per row (RFC 4180 quoting), encoded for ``dialect``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=_SEPARATORS[dialect], lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v, dialect) for v in row] for row in rows)
    encoding = "utf-8-sig" if dialect == "br" else "utf-8"
    return buffer.getvalue().encode(encoding)


def csv_response(
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    dialect: CsvDialect = "standard",
) -> Response:
    """A CSV attachment in ``dialect``."""
    return Response(
        content=csv_document(header, rows, dialect),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
