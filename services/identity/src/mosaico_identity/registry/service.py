"""The tenant registry in ``identity_platform``, and the per-user token cutoffs every
service reads with it."""

from __future__ import annotations

import time
import uuid

from mosaico_shared.contracts.tenants import PlanLimits, TenantRecord, TenantUpsert
from mosaico_shared.tenancy.status import TenantStatusSource
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mosaico_identity.models.platform import TenantRow
from mosaico_identity.registry.repository import TenantRepository, TokenCutoffRepository


class TokenCutoffs:
    """Per-user "not before" times: when a user is deactivated or their roles change,
    every access token issued to them earlier stops working in every service.

    A cutoff is published in the tenant's record (``users_not_before``) for one
    access-token lifetime plus a minute, after which every token it refuses has expired
    anyway; so the record stays small and a service checks a token with a dict lookup.
    Services see a new cutoff when their cached record expires (the tenant-status TTL).
    """

    def __init__(
        self, engine: AsyncEngine, *, keep_seconds: int, status: TenantStatusSource | None = None
    ) -> None:
        self.engine = engine
        self.keep_seconds = keep_seconds
        self.status = status

    def since(self) -> int:
        """Cutoffs older than this have outlived every token they refuse."""
        return int(time.time()) - self.keep_seconds

    async def record(self, tenant: str, user_id: uuid.UUID, not_before: int) -> None:
        """Publish the cutoff now, in its own transaction: it is committed before the
        change that caused it, so no reader sees the change without the cutoff."""
        async with AsyncSession(self.engine) as session, session.begin():
            cutoffs = TokenCutoffRepository(session)
            await cutoffs.record(tenant, user_id, not_before)
            await cutoffs.forget_older_than(tenant, self.since())
        if self.status is not None:
            self.status.forget(tenant)


def next_whole_second() -> int:
    """The cutoff for a change made now: tokens with an earlier ``iat`` (whole seconds,
    so every token signed up to now) are refused."""
    return int(time.time()) + 1


def to_record(row: TenantRow, users_not_before: dict[str, int] | None = None) -> TenantRecord:
    """The registry row as the internal API shows it."""
    return TenantRecord(
        slug=row.slug,
        display_name=row.display_name,
        cnpj=row.cnpj,
        plan=row.plan,
        limits=PlanLimits.model_validate(row.limits),
        # identity is every tenant's module: without it nobody can log in.
        modules=sorted({"identity", *row.modules}),
        suspended=row.suspended,
        users_not_before=users_not_before or {},
    )


async def upsert_tenant(
    session: AsyncSession, *, slug: str, tenant: TenantUpsert, cutoffs_since: int
) -> TenantRecord:
    """Create or update the tenant (the operator calls this on every reconcile)."""
    row = await TenantRepository(session).upsert(
        slug,
        {
            "display_name": tenant.display_name,
            "cnpj": tenant.cnpj,
            "plan": tenant.plan,
            "limits": tenant.limits.model_dump(),
            "modules": sorted({"identity", *tenant.modules}),
            "suspended": tenant.suspended,
        },
    )
    live = await TokenCutoffRepository(session).live(cutoffs_since, tenant=slug)
    return to_record(row, live.get(slug))


async def get_tenant(
    session: AsyncSession, slug: str, *, cutoffs_since: int
) -> TenantRecord | None:
    """The tenant with its live token cutoffs, or None when the registry does not know it."""
    row = await TenantRepository(session).by_slug(slug)
    if row is None:
        return None
    live = await TokenCutoffRepository(session).live(cutoffs_since, tenant=slug)
    return to_record(row, live.get(slug))


async def list_tenants(session: AsyncSession, *, cutoffs_since: int) -> list[TenantRecord]:
    """Every tenant, by slug, with its live token cutoffs."""
    live = await TokenCutoffRepository(session).live(cutoffs_since)
    return [to_record(r, live.get(r.slug)) for r in await TenantRepository(session).all()]


async def remove_tenant(session: AsyncSession, slug: str) -> bool:
    """Forget the tenant (its databases are the operator's business); True if it existed."""
    return await TenantRepository(session).remove(slug)
