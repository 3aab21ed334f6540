"""The repository base: soft-deleted rows stay hidden, rows can be locked, and keyset
pages walk a table once, in order, whatever is added meanwhile."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mosaico_shared.problems import InvalidInput
from mosaico_shared.repository import RepositoryBase, decode_cursor, encode_cursor
from sqlalchemy import DateTime, String
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DATABASE = "shared_repository"
SOME_ID = "0b5c3f5e-8a1d-4d7e-9a55-3c0f3f0b6e21"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NoteRepository(RepositoryBase[Note]):
    model = Note
    soft_delete_column = "deleted_at"


Scenario = Callable[[AsyncSession], Awaitable[Any]]


@pytest.fixture
def run(postgres) -> Callable[[Scenario], Any]:
    """Runs a scenario in a session on a fresh ``notes`` table."""
    postgres.create_database(DATABASE)
    url = postgres.url(DATABASE, user="mosaico")

    def runner(scenario: Scenario) -> Any:
        async def main() -> Any:
            engine = create_async_engine(url)
            async with engine.begin() as connection:
                await connection.run_sync(Base.metadata.drop_all)
                await connection.run_sync(Base.metadata.create_all)
            try:
                async with AsyncSession(engine, expire_on_commit=False) as session:
                    return await scenario(session)
            finally:
                await engine.dispose()

        return asyncio.run(main())

    return runner


async def _notes(session: AsyncSession, count: int, *, same_time: bool = False) -> list[Note]:
    notes = [
        Note(title=f"n{i}", created_at=T0 if same_time else T0 + timedelta(minutes=i))
        for i in range(count)
    ]
    session.add_all(notes)
    await session.commit()
    return notes


def test_a_soft_deleted_row_is_not_found_unless_asked_for(run):
    async def scenario(session: AsyncSession) -> tuple[Any, ...]:
        (note,) = await _notes(session, 1)
        note.deleted_at = T0
        await session.commit()
        notes = NoteRepository(session)
        return (
            await notes.get_by_id(note.id),
            await notes.get_by_id(note.id, include_deleted=True),
            list(await session.scalars(notes.base_statement())),
        )

    hidden, found, listed = run(scenario)
    assert hidden is None
    assert found is not None
    assert found.title == "n0"
    assert listed == []


def test_get_by_id_for_update_locks_the_row_until_the_transaction_ends(run, postgres):
    async def scenario(session: AsyncSession) -> str:
        (note,) = await _notes(session, 1)
        await NoteRepository(session).get_by_id(note.id, for_update=True)
        other = create_async_engine(postgres.url(DATABASE, user="mosaico"))
        try:
            async with other.connect() as connection:
                await connection.exec_driver_sql("SET lock_timeout = '200ms'")
                try:
                    await connection.exec_driver_sql(
                        f"UPDATE notes SET title = 'x' WHERE id = '{note.id}'"
                    )
                except Exception as exc:
                    return type(exc.__cause__ or exc).__name__
                return "updated"
        finally:
            await other.dispose()

    assert run(scenario) == "LockNotAvailable"


def test_a_locked_read_sees_the_row_as_committed_not_as_the_session_last_loaded_it(run, postgres):
    async def scenario(session: AsyncSession) -> str:
        (note,) = await _notes(session, 1)
        await session.refresh(note)  # loaded into this session's identity map
        other = create_async_engine(postgres.url(DATABASE, user="mosaico"))
        try:
            async with other.begin() as connection:
                await connection.exec_driver_sql(
                    f"UPDATE notes SET title = 'changed' WHERE id = '{note.id}'"
                )
        finally:
            await other.dispose()
        locked = await NoteRepository(session).get_by_id(note.id, for_update=True)
        assert locked is not None
        return locked.title

    assert run(scenario) == "changed"


def test_keyset_pages_cover_every_row_once_in_order(run):
    async def scenario(session: AsyncSession) -> tuple[list[str], list[str | None]]:
        await _notes(session, 7)
        notes = NoteRepository(session)
        seen: list[str] = []
        cursors: list[str | None] = []
        cursor = None
        while True:
            page = await notes.keyset_page(
                notes.base_statement(), keys=(Note.created_at, Note.id), limit=3, cursor=cursor
            )
            seen += [n.title for n in page.items]
            cursors.append(page.next_cursor)
            if page.next_cursor is None:
                return seen, cursors
            cursor = page.next_cursor

    seen, cursors = run(scenario)
    assert seen == [f"n{i}" for i in range(7)]
    assert len(cursors) == 3
    assert cursors[-1] is None


def test_keyset_pages_break_ties_on_the_last_key_and_can_run_backwards(run):
    async def scenario(session: AsyncSession) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
        notes_made = await _notes(session, 5, same_time=True)
        notes = NoteRepository(session)
        walked: list[uuid.UUID] = []
        cursor = None
        while True:
            page = await notes.keyset_page(
                notes.base_statement(),
                keys=(Note.created_at, Note.id),
                limit=2,
                cursor=cursor,
                descending=True,
            )
            walked += [n.id for n in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return walked, [n.id for n in notes_made]

    walked, made = run(scenario)
    assert walked == sorted(made, reverse=True)


def test_a_row_added_between_pages_neither_repeats_nor_shifts_the_next_page(run):
    async def scenario(session: AsyncSession) -> list[str]:
        await _notes(session, 4)
        notes = NoteRepository(session)
        keys = (Note.created_at, Note.id)
        first = await notes.keyset_page(notes.base_statement(), keys=keys, limit=2)
        session.add(Note(title="early", created_at=T0 - timedelta(days=1)))
        await session.commit()
        second = await notes.keyset_page(
            notes.base_statement(), keys=keys, limit=2, cursor=first.next_cursor
        )
        return [n.title for n in first.items + second.items]

    assert run(scenario) == ["n0", "n1", "n2", "n3"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        encode_cursor(["2026-01-01T00:00:00+00:00"]),  # one key short
        encode_cursor(["2026-01-01T00:00:00", SOME_ID]),
        encode_cursor(["yesterday", SOME_ID]),
        encode_cursor([T0, "not-a-uuid"]),
        "W10",
    ],
    ids=["not-base64", "one-key-short", "naive-time", "not-a-time", "not-a-uuid", "empty-list"],
)
def test_a_cursor_not_made_here_is_invalid_input(cursor):
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, (Note.created_at, Note.id))


def test_a_cursor_round_trips_its_typed_values():
    values = (T0, uuid.uuid4())
    assert decode_cursor(encode_cursor(values), (Note.created_at, Note.id)) == values
