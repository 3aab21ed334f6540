"""Queries over the signing keys in ``identity_platform``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import or_, text, update

from mosaico_identity.models.platform import SigningKeyRow

# Serializes key creation across identity replicas sharing the platform database.
_KEY_LOCK_ID = 0x6D6F7361


class SigningKeyRepository(RepositoryBase[SigningKeyRow]):
    model = SigningKeyRow

    async def lock(self) -> None:
        """Hold the key-creation lock until the transaction ends."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _KEY_LOCK_ID})

    async def all(self) -> Sequence[SigningKeyRow]:
        """Every key ever stored."""
        return (await self.session.scalars(self.base_statement())).all()

    async def retire_active(self) -> None:
        """Retire the key in use (a new one is about to take over)."""
        await self.session.execute(
            update(SigningKeyRow)
            .where(SigningKeyRow.retired_at.is_(None))
            .values(retired_at=datetime.now(UTC))
        )

    async def published(self, *, retired_after: datetime) -> Sequence[SigningKeyRow]:
        """The active key and the keys retired after ``retired_after``, newest first."""
        statement = (
            self.base_statement()
            .where(
                or_(
                    SigningKeyRow.retired_at.is_(None),
                    SigningKeyRow.retired_at > retired_after,
                )
            )
            .order_by(SigningKeyRow.created_at.desc())
        )
        return (await self.session.scalars(statement)).all()

    def add(self, key: SigningKeyRow) -> None:
        """Stage a new key (written at the next flush)."""
        self.session.add(key)
