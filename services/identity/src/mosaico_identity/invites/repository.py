"""Queries over invites."""

from __future__ import annotations

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import func

from mosaico_identity.models.tenant import Invite


class InviteRepository(RepositoryBase[Invite]):
    model = Invite

    def add(self, invite: Invite) -> None:
        """Stage a new invite (written at the next flush)."""
        self.session.add(invite)

    async def pending_for_cpf(self, cpf: str) -> Invite | None:
        """An invite issued to this CPF that can still be accepted."""
        return await self.session.scalar(
            self.base_statement().where(
                Invite.cpf == cpf,
                Invite.accepted_at.is_(None),
                Invite.revoked_at.is_(None),
                Invite.expires_at > func.now(),
            )
        )
