"""Queries over refresh tokens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar, cast

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import ColumnElement, Table, case, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.models.platform import AddressThrottle
from mosaico_identity.models.tenant import LoginThrottle, PasswordResetThrottle, RefreshToken

ThrottleRow = TypeVar("ThrottleRow", LoginThrottle, AddressThrottle, PasswordResetThrottle)


class RefreshTokenRepository(RepositoryBase[RefreshToken]):
    model = RefreshToken

    def add(self, token: RefreshToken) -> None:
        """Stage a new refresh token (written at the next flush)."""
        self.session.add(token)

    async def revoke_family(self, family_id: uuid.UUID) -> None:
        """Revoke every token descended from the same login."""
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )

    async def revoke_for_user(self, user_id: uuid.UUID) -> None:
        """Revoke every token of a user (password change, deactivation, new roles)."""
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=datetime.now(UTC))
        )


class ThrottleRepository(Generic[ThrottleRow]):
    """Failed-login counters, one row per key, changed only by single SQL statements:
    concurrent attempts each count, none is lost, and none slips past a delay.

    A key may try while it has fewer than ``free`` counted failures; after that, only
    once ``min(cap, base * 2 ** (failures - free))`` seconds have passed since its last
    counted failure. A key without failures for ``forget`` seconds starts over.
    """

    def __init__(self, session: AsyncSession, model: type[ThrottleRow]) -> None:
        self.session = session
        self.table = cast(Table, model.__table__)

    def _wait(self, free: int, base: float, cap: float) -> ColumnElement[Any]:
        exponent = func.least(self.table.c.failures - free, 40)
        seconds = func.least(cap, base * func.power(2, exponent))
        return self.table.c.last_failure_at + func.make_interval(0, 0, 0, 0, 0, 0, seconds)

    async def count_attempt(
        self, key: str, *, free: int, base: float, cap: float, forget: float
    ) -> int | None:
        """Count an attempt for ``key`` and return its failures so far, this one
        included; None (and nothing counted) while the key must wait."""
        t = self.table
        now = func.now()
        forgotten = t.c.last_failure_at < now - func.make_interval(0, 0, 0, 0, 0, 0, forget)
        may_try = or_(t.c.failures < free, forgotten, self._wait(free, base, cap) <= now)
        statement = (
            insert(t)
            .values(key=key, failures=1, last_failure_at=now)
            .on_conflict_do_update(
                index_elements=[t.c.key],
                set_={
                    "failures": case((forgotten, 1), else_=t.c.failures + 1),
                    "last_failure_at": now,
                },
                where=may_try,
            )
            .returning(t.c.failures)
        )
        failures: int | None = await self.session.scalar(statement)
        return failures

    async def seconds_to_wait(self, key: str, *, free: int, base: float, cap: float) -> float:
        """How long ``key`` must still wait (0 when it may try now)."""
        remaining = func.extract("epoch", self._wait(free, base, cap) - func.now())
        statement = select(func.greatest(remaining, 0)).where(self.table.c.key == key)
        seconds = await self.session.scalar(statement)
        return float(seconds or 0)

    async def clear(self, key: str) -> None:
        """Forget every failure of ``key`` (its login succeeded)."""
        await self.session.execute(delete(self.table).where(self.table.c.key == key))

    async def uncount(self, key: str) -> None:
        """Take back one counted attempt of ``key`` (it turned out to succeed)."""
        t = self.table
        await self.session.execute(
            update(t).where(t.c.key == key).values(failures=func.greatest(t.c.failures - 1, 0))
        )

    async def prune(self, *, forget: float) -> None:
        """Drop keys whose last failure is older than ``forget`` seconds."""
        t = self.table
        cutoff = func.now() - func.make_interval(0, 0, 0, 0, 0, 0, forget)
        await self.session.execute(delete(t).where(t.c.last_failure_at < cutoff))
