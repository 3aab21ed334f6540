"""The tenant registry in ``identity_platform``."""

from __future__ import annotations

from mosaico_shared.contracts.tenants import PlanLimits, TenantRecord, TenantUpsert
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from mosaico_identity.models.platform import TenantRow


def to_record(row: TenantRow) -> TenantRecord:
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
    )


async def upsert_tenant(session: AsyncSession, *, slug: str, tenant: TenantUpsert) -> TenantRecord:
    """Create or update the tenant (the operator calls this on every reconcile)."""
    values = {
        "display_name": tenant.display_name,
        "cnpj": tenant.cnpj,
        "plan": tenant.plan,
        "limits": tenant.limits.model_dump(),
        "modules": sorted({"identity", *tenant.modules}),
        "suspended": tenant.suspended,
    }
    statement = (
        insert(TenantRow)
        .values(slug=slug, **values)
        .on_conflict_do_update(index_elements=[TenantRow.slug], set_=values)
        .returning(TenantRow)
    )
    row = (await session.execute(statement)).scalar_one()
    return to_record(row)


async def get_tenant(session: AsyncSession, slug: str) -> TenantRecord | None:
    """The tenant, or None when the registry does not know it."""
    row = await session.get(TenantRow, slug)
    return to_record(row) if row else None


async def list_tenants(session: AsyncSession) -> list[TenantRecord]:
    """Every tenant, by slug."""
    rows = await session.scalars(select(TenantRow).order_by(TenantRow.slug))
    return [to_record(r) for r in rows]


async def remove_tenant(session: AsyncSession, slug: str) -> bool:
    """Forget the tenant (its databases are the operator's business); True if it existed."""
    result = await session.execute(delete(TenantRow).where(TenantRow.slug == slug))
    return bool(result.rowcount)  # type: ignore[attr-defined]
