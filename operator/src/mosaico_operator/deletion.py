"""Deleting a Tenant: its databases dumped and verified (``Delete``), then the tenant out
of identity, then the databases dropped (``Delete``) or kept (``Retain``)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import kopf
from mosaico_shared.tenancy.names import database_name

from mosaico_operator import status as st
from mosaico_operator.events import normal, warning
from mosaico_operator.models import ModuleSpec
from mosaico_operator.provisioning.backups import BackupFailed, BackupTools, dump_database
from mosaico_operator.provisioning.databases import database_exists, drop_database
from mosaico_operator.provisioning.dsn import server_of
from mosaico_operator.provisioning.errors import DependencyDown, ProvisioningError
from mosaico_operator.reconciler import Operator, TenantEvent
from mosaico_operator.secrets import Secrets

logger = logging.getLogger("mosaico.operator")


@dataclass(frozen=True)
class Dumped:
    """A database whose dump is written and read back: it may be dropped now."""

    module: str
    database: str
    admin_dsn: str
    dump: Path


def _tenant_modules(tenant: TenantEvent) -> list[str]:
    """Every module that may hold data of the tenant: enabled now or ever provisioned."""
    enabled = set(tenant.spec.get("modules") or [])
    return sorted({"identity", *enabled, *tenant.previous_modules})


def _stamp(tenant: TenantEvent) -> str:
    """The deletion's own time, so a retried deletion rewrites the same dump files."""
    raw = str(tenant.body.get("metadata", {}).get("deletionTimestamp") or "")
    try:
        when = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        when = datetime.datetime.now(datetime.UTC)
    return when.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


async def delete_tenant(
    operator: Operator,
    tenant: TenantEvent,
    *,
    modules: Mapping[str, ModuleSpec],
    secrets: Secrets,
    patch: kopf.Patch,
    retry: int,
) -> None:
    """Follow ``deletionPolicy``. A failed backup is retried with the operator's backoff
    for as long as it fails, the tenant still registered and every database in place;
    other failures release the object after the last attempt, its databases kept."""
    async with operator.turns:
        operator.metrics.set_phase(tenant.slug, "Deleting")
        try:
            await _follow_policy(operator, tenant, modules, secrets)
        except BackupFailed as exc:
            _say_deletion_waits(operator, tenant, exc, patch)
            raise kopf.TemporaryError(exc.message, delay=operator.retry_delay(retry)) from exc
        except ProvisioningError as exc:
            if retry + 1 >= operator.settings.delete_attempts:
                warning(
                    tenant.body,
                    "DeletionIncomplete",
                    f"giving up after {retry + 1} attempts, the object is released and its "
                    f"databases are kept: {exc.message}",
                )
                operator.metrics.set_phase(tenant.slug, None)
                return
            _say_deletion_waits(operator, tenant, exc, patch)
            raise kopf.TemporaryError(exc.message, delay=operator.retry_delay(retry)) from exc
        operator.metrics.set_phase(tenant.slug, None)


async def _follow_policy(
    operator: Operator, tenant: TenantEvent, modules: Mapping[str, ModuleSpec], secrets: Secrets
) -> None:
    try:
        policy = tenant.spec.get("deletionPolicy") or "Retain"
        if policy == "Delete" and operator.settings.backup_durable:
            dumped = await _back_up(operator, tenant, modules, secrets)
            await _unregister(operator, tenant)
            await _drop(tenant, dumped)
            return
        if policy == "Delete":
            warning(tenant.body, "DeletionPolicyRefused", st.NOT_DURABLE_MESSAGE)
        await _unregister(operator, tenant)
        await _retain_databases(operator, tenant, modules, secrets)
    except ProvisioningError:
        raise
    except Exception as exc:
        # A bug or an unforeseen answer: still a condition, an Event and our backoff.
        logger.exception("deleting tenant %s failed unexpectedly", tenant.slug)
        raise DependencyDown("UnexpectedError", type(exc).__name__) from exc


def _say_deletion_waits(
    operator: Operator, tenant: TenantEvent, exc: ProvisioningError, patch: kopf.Patch
) -> None:
    warning(tenant.body, exc.reason, f"deletion waits: {exc.message}")
    operator.metrics.failures.labels(exc.reason).inc()
    patch.status["phase"] = st.DELETING
    patch.status["conditions"] = st.merge_conditions(
        tenant.status.get("conditions") or [],
        [st.deletion_waits(exc.reason, exc.message, backup=isinstance(exc, BackupFailed),
                           generation=tenant.generation)],
    )  # fmt: skip


async def _unregister(operator: Operator, tenant: TenantEvent) -> None:
    if await operator.services.identity.remove_tenant(tenant.slug):
        normal(tenant.body, "TenantUnregistered", "removed from identity")
    await operator.cluster.forget_invite(operator.settings.operator_namespace, tenant.slug)


async def _retain_databases(
    operator: Operator, tenant: TenantEvent, modules: Mapping[str, ModuleSpec], secrets: Secrets
) -> None:
    kept = []
    for name in _tenant_modules(tenant):
        database = database_name(name, tenant.slug)
        module = modules.get(name)
        if module is None:
            kept.append(database)
            continue
        try:
            dsn = operator.admin_dsn(module, secrets)
            if not await database_exists(dsn, database):
                continue  # never created (e.g. the tenant was invalid from the start)
        except ProvisioningError:
            kept.append(database)
            continue
        kept.append(f"{database} on {server_of(dsn)}")
    if kept:
        normal(tenant.body, "DatabasesRetained", f"deletionPolicy Retain: kept {', '.join(kept)}")


async def _back_up(
    operator: Operator, tenant: TenantEvent, modules: Mapping[str, ModuleSpec], secrets: Secrets
) -> list[Dumped]:
    """Every existing database of the tenant dumped and read back, before anything goes."""
    settings = operator.settings
    tools = BackupTools(pg_dump=settings.pg_dump, pg_restore=settings.pg_restore)
    stamp = _stamp(tenant)
    dumped = []
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
        dsn = operator.admin_dsn(module, secrets)
        if not await database_exists(dsn, database):
            continue
        target = settings.backup_dir / f"{database}-{stamp}.dump"
        dump = await dump_database(dsn, database, target, tools)
        dumped.append(Dumped(name, database, dsn, dump))
    return dumped


async def _drop(tenant: TenantEvent, dumped: list[Dumped]) -> None:
    for item in dumped:
        await drop_database(item.admin_dsn, item.database)
        normal(
            tenant.body,
            "DatabaseDropped",
            f"{item.database} dumped to {item.dump} (read back with pg_restore) and dropped",
        )
