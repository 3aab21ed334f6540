"""Queries over a tenant's users."""

from __future__ import annotations

from mosaico_shared.contracts.roles import ADMIN
from mosaico_shared.repository import KeysetPage, RepositoryBase
from sqlalchemy import any_, func, literal, or_, select, text

from mosaico_identity.models.tenant import User


class UserRepository(RepositoryBase[User]):
    model = User

    async def by_cpf(self, cpf: str) -> User | None:
        """The user with this CPF (digits only)."""
        return await self.session.scalar(self.base_statement().where(User.cpf == cpf))

    async def by_email(self, email: str) -> User | None:
        """The user with this e-mail (compared in lower case)."""
        return await self.session.scalar(self.base_statement().where(User.email == email.lower()))

    async def clash(self, *, cpf: str, email: str) -> User | None:
        """A user who already holds this CPF or this e-mail."""
        return await self.session.scalar(
            self.base_statement().where(or_(User.cpf == cpf, User.email == email.lower()))
        )

    async def lock_seats(self) -> None:
        """Serialize changes to the number of active users (two admins adding users at
        once must not both take the last seat) until the transaction ends."""
        await self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('identity.users'))"))

    async def lock_admins(self) -> None:
        """Serialize every change that could take the admin role away from an active
        user (two admins demoting each other at once must not leave none)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext('identity.admins'))")
        )

    async def count_active_admins(self) -> int:
        """How many active users hold the admin role."""
        count = await self.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.active.is_(True), literal(ADMIN) == any_(User.roles))
        )
        return count or 0

    async def count_active(self) -> int:
        """How many users are active."""
        count = await self.session.scalar(
            select(func.count()).select_from(User).where(User.active.is_(True))
        )
        return count or 0

    async def page(self, *, limit: int, cursor: str | None) -> KeysetPage[User]:
        """Users by creation order (ties broken by id, so pages are stable)."""
        return await self.keyset_page(
            self.base_statement(), keys=(User.created_at, User.id), limit=limit, cursor=cursor
        )

    def add(self, user: User) -> None:
        """Stage a new user (written at the next flush)."""
        self.session.add(user)
