"""The limit each ratio is taken against: the leanest endpoints a FastAPI user would write.

FastAPI, one ``psycopg_pool`` async pool per database, SQL by hand, ``orjson`` for the
body; no ORM, no authentication, no tenancy, no middleware. Each endpoint runs the same
SQL as the Mosaico endpoint it stands beside and answers the same JSON (the benchmarks
check that), so the gap between the two is what Mosaico's layers cost.

Databases come from the environment (``LEAN_<NAME>_DSN``); an endpoint whose database
is not given answers 404.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Response
from mosaico_finance.reports.repository import MONTHLY, period_parameters
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

ROW_ID = uuid.UUID(int=1)
POOL_SIZE = 5  # what one Mosaico pod's engine may open for one tenant (2 + 3 overflow)
pools: dict[str, AsyncConnectionPool] = {}


def _default(value: object) -> str:
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(type(value).__name__)


def json_response(body: object) -> Response:
    return Response(
        orjson.dumps(body, default=_default, option=orjson.OPT_UTC_Z),
        media_type="application/json",
    )


def pool(name: str) -> AsyncConnectionPool:
    found = pools.get(name)
    if found is None:
        raise HTTPException(404, f"no {name} database")
    return found


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    for name in ("row", "crm", "finance", "identity"):
        dsn = os.environ.get(f"LEAN_{name.upper()}_DSN")
        if dsn:
            pools[name] = AsyncConnectionPool(dsn, min_size=2, max_size=POOL_SIZE, open=False)
            await pools[name].open(wait=True)
    if "row" in pools:
        async with pools["row"].connection() as db:
            await db.execute(
                "CREATE TABLE IF NOT EXISTS lean_rows (id uuid PRIMARY KEY, name text)"
            )
            await db.execute(
                "INSERT INTO lean_rows VALUES (%s, 'row') ON CONFLICT DO NOTHING", [ROW_ID]
            )
    yield
    for p in pools.values():
        await p.close()


app = FastAPI(lifespan=lifespan)


@app.get("/ping")
async def ping() -> Response:
    return json_response({"status": "ok"})


@app.get("/row")
async def row() -> Response:
    async with pool("row").connection() as db:
        cursor = await db.execute("SELECT name FROM lean_rows WHERE id = %s", [ROW_ID])
        found = await cursor.fetchone()
    return json_response({"name": found[0] if found else None})


LEAD_COLUMNS = (
    "id, name, company, document, document_kind, email, phone, source, estimated_value, "
    "owner_id, created_by, tags, notes, stage_id, status, close_reason, closed_at, "
    "created_at, updated_at"
)
LEADS_FIRST_PAGE = (
    f"SELECT {LEAD_COLUMNS} FROM leads WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT %s"
)


def _cursor(*values: object) -> str:
    raw = orjson.dumps([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@app.get("/crm/leads")
async def leads(limit: int = 50) -> Response:
    """crm's ``GET /crm/v1/leads?limit=N``: the first page in creation order."""
    async with pool("crm").connection() as db:
        cursor = db.cursor(row_factory=dict_row)
        await cursor.execute(LEADS_FIRST_PAGE, [limit + 1])
        rows = await cursor.fetchall()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = _cursor(rows[-1]["created_at"], rows[-1]["id"])
    return json_response({"items": rows, "limit": limit, "next_cursor": next_cursor})


USER_BY_ID = (
    "SELECT id, full_name, cpf, email, whatsapp, roles, active, created_at FROM users WHERE id = %s"
)


@app.get("/identity/users/{user_id}")
async def user(user_id: uuid.UUID) -> Response:
    """identity's ``GET /identity/v1/me`` without the token: the user by primary key."""
    async with pool("identity").connection() as db:
        cursor = db.cursor(row_factory=dict_row)
        await cursor.execute(USER_BY_ID, [user_id])
        found = await cursor.fetchone()
    if found is None:
        raise HTTPException(404)
    return json_response(found)


#: finance's own query, in psycopg's placeholder style.
MONTHLY_SQL = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", MONTHLY)


def _month_label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


@app.get("/finance/cash-flow/monthly")
async def cash_flow(date_from: date, date_to: date) -> Response:
    """finance's ``GET /finance/v1/reports/cash-flow/monthly``: its SQL, its JSON."""
    async with pool("finance").connection() as db:
        cursor = await db.execute(MONTHLY_SQL, period_parameters(date_from, date_to, None))
        rows = await cursor.fetchall()
    months: list[dict[str, Any]] = []
    income = expense = Decimal("0.00")
    for month, month_income, month_expense, income_count, expense_count in rows:
        months.append(
            {
                "month": _month_label(month),
                "income": month_income,
                "expense": month_expense,
                "net": month_income - month_expense,
                "income_count": income_count,
                "expense_count": expense_count,
            }
        )
        income += month_income
        expense += month_expense
    return json_response(
        {
            "from": date_from,
            "to": date_to,
            "months": months,
            "total_income": income,
            "total_expense": expense,
            "net": income - expense,
        }
    )
