"""Deleting a Tenant: out of identity, then its databases kept or dumped and dropped."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf
from mosaico_shared.tenancy.names import database_name
from psycopg.conninfo import conninfo_to_dict

from mosaico_operator.events import normal, warning
from mosaico_operator.models import ModuleSpec
from mosaico_operator.provisioning.databases import database_exists, drop_database, dump_database
from mosaico_operator.provisioning.errors import ProvisioningError
from mosaico_operator.reconciler import Operator, TenantEvent


def _tenant_modules(tenant: TenantEvent) -> list[str]:
    """Every module that may hold data of the tenant: enabled now or ever provisioned."""
    enabled = set(tenant.spec.get("modules") or [])
    return sorted({"identity", *enabled, *tenant.previous_modules})


def _server(dsn: str) -> str:
    parts = conninfo_to_dict(dsn)
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}"


async def delete_tenant(
    operator: Operator,
    tenant: TenantEvent,
    *,
    modules: Mapping[str, ModuleSpec],
    retry: int,
) -> None:
    """Follow ``deletionPolicy``; after the last attempt, let the object go regardless."""
    async with operator.turns:
        policy: Any = tenant.spec.get("deletionPolicy") or "Retain"
        last_attempt = retry + 1 >= operator.settings.delete_attempts
        operator.metrics.set_phase(tenant.slug, "Deleting")
        try:
            if await operator.services.identity.remove_tenant(tenant.slug):
                normal(tenant.body, "TenantUnregistered", "removed from identity")
            await operator.cluster.forget_invite(operator.settings.operator_namespace, tenant.slug)
            if policy == "Delete":
                await _drop_databases(operator, tenant, modules, last_attempt=last_attempt)
            else:
                await _retain_databases(operator, tenant, modules)
        except ProvisioningError as exc:
            if last_attempt:
                warning(
                    tenant.body,
                    "DeletionIncomplete",
                    f"giving up after {retry + 1} attempts, the object is released: {exc.message}",
                )
                operator.metrics.set_phase(tenant.slug, None)
                return
            warning(tenant.body, exc.reason, f"deletion waits: {exc.message}")
            raise kopf.TemporaryError(exc.message, delay=operator.retry_delay(retry)) from exc
        operator.metrics.set_phase(tenant.slug, None)


async def _retain_databases(
    operator: Operator, tenant: TenantEvent, modules: Mapping[str, ModuleSpec]
) -> None:
    kept = []
    for name in _tenant_modules(tenant):
        database = database_name(name, tenant.slug)
        module = modules.get(name)
        if module is None:
            kept.append(database)
            continue
        try:
            dsn = await operator.cluster.secret_value(module.database.admin_secret_ref)
            if not await database_exists(dsn, database):
                continue  # never created (e.g. the tenant was invalid from the start)
        except ProvisioningError:
            kept.append(database)
            continue
        kept.append(f"{database} on {_server(dsn)}")
    if kept:
        normal(tenant.body, "DatabasesRetained", f"deletionPolicy Retain: kept {', '.join(kept)}")


async def _drop_databases(
    operator: Operator,
    tenant: TenantEvent,
    modules: Mapping[str, ModuleSpec],
    *,
    last_attempt: bool,
) -> None:
    for name in _tenant_modules(tenant):
        database = database_name(name, tenant.slug)
        module = modules.get(name)
        if module is None:
            warning(
                tenant.body,
                "DatabaseKept",
                f"no Module {name}: cannot reach {database}, it is kept",
            )
            continue
        dsn = await operator.cluster.secret_value(module.database.admin_secret_ref)
        if not await database_exists(dsn, database):
            continue
        dump = await dump_database(
            dsn, database, operator.settings.backup_dir, pg_dump=operator.settings.pg_dump
        )
        await drop_database(dsn, database)
        normal(
            tenant.body,
            "DatabaseDropped",
            f"{database} dumped to {dump} and dropped",
        )
