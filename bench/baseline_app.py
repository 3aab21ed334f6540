"""Baselines: a bare FastAPI endpoint, and the same plus one PostgreSQL read by primary key
through an async SQLAlchemy session (psycopg 3), with no auth, tenancy or middleware."""

import os
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

DATABASE_URL = os.environ.get("BASELINE_DATABASE_URL")
ROW_ID = uuid.UUID(int=1)
engine = create_async_engine(DATABASE_URL, pool_size=5) if DATABASE_URL else None


@asynccontextmanager
async def lifespan(app: FastAPI):
    if engine is not None:
        async with engine.begin() as connection:
            await connection.execute(
                text("CREATE TABLE IF NOT EXISTS baseline_rows (id uuid PRIMARY KEY, name text)")
            )
            await connection.execute(
                text("INSERT INTO baseline_rows VALUES (:id, 'row') ON CONFLICT DO NOTHING"),
                {"id": ROW_ID},
            )
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/ping")
async def ping() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/row")
async def row() -> dict[str, str]:
    async with AsyncSession(engine) as session:
        name = await session.scalar(
            text("SELECT name FROM baseline_rows WHERE id = :id"), {"id": ROW_ID}
        )
        await session.commit()
    return {"name": str(name)}
