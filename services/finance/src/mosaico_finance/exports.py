"""CSV documents (``text/csv``): transactions and every report."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from fastapi import Response

CSV_MEDIA_TYPE = "text/csv"

#: OpenAPI ``responses=`` entry of an endpoint that can answer CSV.
CSV_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {"content": {CSV_MEDIA_TYPE: {"schema": {"type": "string"}}}}
}

Cell = str | int | Decimal | date | None


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    # Decimals print as written (``1234.50``): no float, no locale, no exponent.
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Response:
    """A CSV attachment: a header line, then one line per row (RFC 4180 quoting)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return Response(
        content=buffer.getvalue(),
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
