"""Queries over password resets."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import update

from mosaico_identity.models.tenant import PasswordReset


class PasswordResetRepository(RepositoryBase[PasswordReset]):
    model = PasswordReset

    def add(self, reset: PasswordReset) -> None:
        """Stage a new reset (written at the next flush)."""
        self.session.add(reset)

    async def revoke_pending(self, user_id: uuid.UUID) -> None:
        """Revoke every reset of the user that could still be used."""
        await self.session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.user_id == user_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.revoked_at.is_(None),
            )
            .values(revoked_at=datetime.now(UTC))
        )
