"""Queries over the tenant registry in ``identity_platform``."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from mosaico_shared.repository import RepositoryBase
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from mosaico_identity.models.platform import TenantRow, TokenCutoffRow


class TenantRepository(RepositoryBase[TenantRow]):
    model = TenantRow

    async def by_slug(self, slug: str) -> TenantRow | None:
        """The tenant with this slug."""
        return await self.session.scalar(self.base_statement().where(TenantRow.slug == slug))

    async def all(self) -> Sequence[TenantRow]:
        """Every tenant, by slug."""
        return (await self.session.scalars(self.base_statement().order_by(TenantRow.slug))).all()

    async def upsert(self, slug: str, values: dict[str, Any]) -> TenantRow:
        """Insert the tenant or overwrite it with ``values``, in one statement."""
        statement = (
            insert(TenantRow)
            .values(slug=slug, **values)
            .on_conflict_do_update(index_elements=[TenantRow.slug], set_=values)
            .returning(TenantRow)
        )
        return (await self.session.execute(statement)).scalar_one()

    async def remove(self, slug: str) -> bool:
        """Delete the tenant; True when it existed."""
        result = await self.session.execute(delete(TenantRow).where(TenantRow.slug == slug))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class TokenCutoffRepository(RepositoryBase[TokenCutoffRow]):
    model = TokenCutoffRow

    async def record(self, tenant: str, user_id: uuid.UUID, not_before: int) -> None:
        """Set the user's cutoff (a later one wins over an earlier one)."""
        statement = insert(TokenCutoffRow).values(
            tenant=tenant, user_id=user_id, not_before=not_before
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[TokenCutoffRow.tenant, TokenCutoffRow.user_id],
                set_={
                    "not_before": func.greatest(TokenCutoffRow.not_before, not_before),
                },
            )
        )

    async def forget_older_than(self, tenant: str, when: int) -> None:
        """Drop the tenant's cutoffs before ``when`` (every token they refuse has expired)."""
        await self.session.execute(
            delete(TokenCutoffRow).where(
                TokenCutoffRow.tenant == tenant, TokenCutoffRow.not_before < when
            )
        )

    async def live(self, since: int, tenant: str | None = None) -> dict[str, dict[str, int]]:
        """Tenant -> {user id -> not before} for cutoffs from ``since`` on."""
        statement = select(
            TokenCutoffRow.tenant, TokenCutoffRow.user_id, TokenCutoffRow.not_before
        ).where(TokenCutoffRow.not_before >= since)
        if tenant is not None:
            statement = statement.where(TokenCutoffRow.tenant == tenant)
        found: dict[str, dict[str, int]] = {}
        for slug, user_id, not_before in await self.session.execute(statement):
            found.setdefault(slug, {})[str(user_id)] = not_before
        return found
