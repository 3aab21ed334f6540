"""One reconcile of one Tenant: read what it refers to, provision, describe the result.

Kopf-free on purpose except for the exceptions it raises and the Events it posts, so
the handlers in :mod:`mosaico_operator.handlers` stay thin.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf
from mosaico_shared.tenancy.names import database_name
from pydantic import ValidationError

from mosaico_operator import status as st
from mosaico_operator.cluster import Cluster
from mosaico_operator.events import normal, warning
from mosaico_operator.metrics import OperatorMetrics
from mosaico_operator.models import ModuleSpec, PlanSpec, TenantSpec
from mosaico_operator.provisioning.dsn import InvalidDsn, parse_dsn
from mosaico_operator.provisioning.errors import (
    DatabaseUnavailable,
    DependencyDown,
    ProvisioningError,
    Rejected,
)
from mosaico_operator.provisioning.onboarding import ModuleTarget
from mosaico_operator.provisioning.tenant import Services, TenantOutcome, provision_tenant
from mosaico_operator.secrets import Secrets
from mosaico_operator.settings import OperatorSettings
from mosaico_operator.validation import validate_tenant

logger = logging.getLogger("mosaico.operator")


@dataclass(frozen=True)
class TenantEvent:
    """What a reconcile needs to know about the object (from Kopf's keyword arguments)."""

    slug: str
    body: kopf.Body
    spec: Mapping[str, Any]
    status: Mapping[str, Any]
    generation: int

    @property
    def previous_modules(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in (self.status.get("modules") or {}).items()}

    @property
    def previous_phase(self) -> str | None:
        phase = self.status.get("phase")
        return str(phase) if phase else None


@dataclass
class Operator:
    """The long-lived parts every reconcile shares."""

    settings: OperatorSettings
    cluster: Cluster
    services: Services
    metrics: OperatorMetrics
    #: At most ``settings.workers`` tenants reconciled or deleted at once; the others
    #: wait their turn here, each in its own Kopf worker.
    turns: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self.turns = asyncio.Semaphore(self.settings.workers)

    def retry_delay(self, retry: int) -> float:
        """Exponential backoff: 5 s, 10 s, 20 s... up to the configured maximum."""
        base = self.settings.retry_delay_seconds
        return float(min(base * 2 ** min(retry, 16), self.settings.retry_max_delay_seconds))

    def module_targets(
        self, enabled: list[str], modules: Mapping[str, ModuleSpec], secrets: Secrets
    ) -> dict[str, ModuleTarget]:
        targets = {}
        for name in enabled:
            module = modules[name]
            targets[name] = ModuleTarget(
                module=name,
                admin_dsn=self.admin_dsn(module, secrets),
                owner=module.database.owner,
                service_url=module.service_url,
                onboarding_path=module.onboarding_path,
                version=module.version,
            )
        return targets

    def admin_dsn(self, module: ModuleSpec, secrets: Secrets) -> str:
        """The module's admin DSN from its Secret, checked without ever being quoted."""
        ref = module.database.admin_secret_ref
        dsn = secrets.value(ref)
        try:
            parse_dsn(dsn)
        except InvalidDsn as exc:
            raise DependencyDown(
                "InvalidDatabaseDsn", f"Secret {ref.namespace}/{ref.name} key {ref.key!r} is {exc}"
            ) from None
        return dsn

    async def reconcile(
        self,
        tenant: TenantEvent,
        *,
        plans: Mapping[str, PlanSpec],
        modules: Mapping[str, ModuleSpec],
        secrets: Secrets,
        patch: kopf.Patch,
        trigger: str,
        retry: int = 0,
    ) -> None:
        """Provision the tenant and write its status; raises Kopf's errors on failure.

        Status is written only where it changed, so a drift tick that finds nothing to
        repair patches nothing (and posts no Event)."""
        async with self.turns:
            started = time.monotonic()
            outcome = "ok"
            try:
                try:
                    await self._reconcile(tenant, plans, modules, secrets, patch, trigger)
                except ProvisioningError:
                    raise
                except Exception as exc:
                    # A bug or an unforeseen answer: still say so in status, and retry.
                    logger.exception("reconciling tenant %s failed unexpectedly", tenant.slug)
                    # The type only: an exception's text may quote a secret it choked on.
                    raise DependencyDown(
                        "UnexpectedError", f"{type(exc).__name__} (see the operator's log)"
                    ) from exc
            except ProvisioningError as exc:
                outcome = "retry" if exc.retryable else "failed"
                self.metrics.failures.labels(exc.reason).inc()
                self._describe_failure(tenant, exc, patch, trigger)
                if exc.retryable:
                    raise kopf.TemporaryError(exc.message, delay=self.retry_delay(retry)) from exc
                if trigger != "drift":
                    raise kopf.PermanentError(exc.message) from exc
            finally:
                self.metrics.reconciles.labels(trigger, outcome).inc()
                self.metrics.duration.labels(trigger).observe(time.monotonic() - started)

    async def _reconcile(
        self,
        tenant: TenantEvent,
        plans: Mapping[str, PlanSpec],
        modules: Mapping[str, ModuleSpec],
        secrets: Secrets,
        patch: kopf.Patch,
        trigger: str,
    ) -> None:
        try:
            spec = TenantSpec.model_validate(dict(tenant.spec))
        except ValidationError as exc:
            raise Rejected("InvalidSpec", f"the spec does not parse: {exc}") from exc
        plan = plans.get(spec.plan)
        invalid = validate_tenant(tenant.slug, spec, plan, modules.keys())
        if invalid is not None:
            raise Rejected(invalid.reason, invalid.message)
        assert plan is not None
        enabled = spec.enabled_modules()
        self._announce_module_changes(tenant, enabled)
        targets = self.module_targets(enabled, modules, secrets)
        ref = spec.first_admin.password_secret_ref
        password = secrets.value(ref) if ref else None

        def report(reason: str, message: str) -> None:
            normal(tenant.body, reason, message)

        previous = tenant.previous_modules
        # The drift timer re-onboards a module only when it changed version (a rollout
        # brings new migrations) or its database had to be recreated.
        settled = [
            m
            for m, old in previous.items()
            if trigger == "drift"
            and m in targets
            and old.get("state") == st.READY_PHASE
            and old.get("moduleVersion") == targets[m].version
        ]
        result = await provision_tenant(
            slug=tenant.slug,
            spec=spec,
            plan=plan,
            modules=targets,
            services=self.services,
            admin_password=password,
            known_versions={m: v.get("schemaVersion") for m, v in previous.items()},
            settled=settled,
            identity_holds=self._identity_holds(tenant, trigger),
            report=report,
        )
        if result.first_admin and result.first_admin.invite_token:
            where = await self.cluster.store_invite(
                self.settings.operator_namespace, tenant.slug, result.first_admin.invite_token
            )
            normal(
                tenant.body,
                "FirstAdminInvited",
                f"invite token stored in Secret {where}",
            )
        if (
            trigger == "drift"
            and result.created_databases
            and tenant.previous_phase in (st.READY_PHASE, st.SUSPENDED)
        ):
            self._report_drift(tenant, result)
        self._describe_success(tenant, spec, result, patch, targets)

    def _identity_holds(self, tenant: TenantEvent, trigger: str) -> str | None:
        """What identity was last sent for the tenant, on a drift tick while that record
        is recent enough to trust; None means: send it again."""
        if trigger != "drift":
            return None
        sent = tenant.status.get("identity") or {}
        age = st.seconds_since(sent.get("syncedAt"))
        if age is None or age >= self.settings.identity_resync_seconds:
            return None
        fingerprint = sent.get("specHash")
        return str(fingerprint) if fingerprint else None

    def _announce_module_changes(self, tenant: TenantEvent, enabled: list[str]) -> None:
        previous = tenant.previous_modules
        for name, old in previous.items():
            if name not in enabled and old.get("state") != st.DISABLED:
                normal(
                    tenant.body,
                    "ModuleDisabled",
                    f"{name} disabled; database {old.get('database')} is kept",
                )
            if name in enabled and old.get("state") == st.DISABLED:
                normal(
                    tenant.body,
                    "ModuleEnabled",
                    f"{name} enabled again with its kept database {old.get('database')}",
                )

    def _report_drift(self, tenant: TenantEvent, result: TenantOutcome) -> None:
        for module in result.modules.values():
            if module.database_created:
                self.metrics.drift_repairs.labels(module.module).inc()
                warning(
                    tenant.body,
                    "DriftRepaired",
                    (
                        f"database {module.database} was missing; recreated and migrated "
                        f"to schema {module.schema_version}"
                    ),
                )

    def _describe_success(
        self,
        tenant: TenantEvent,
        spec: TenantSpec,
        result: TenantOutcome,
        patch: kopf.Patch,
        targets: Mapping[str, ModuleTarget],
    ) -> None:
        enabled = spec.enabled_modules()
        phase = st.SUSPENDED if spec.suspended else st.READY_PHASE
        modules = st.module_states(
            tenant.previous_modules,
            enabled,
            {m: o.database for m, o in result.modules.items()},
            state=st.READY_PHASE,
            versions={m: o.schema_version for m, o in result.modules.items()},
        )
        for name, entry in modules.items():
            if name in targets:
                entry["moduleVersion"] = targets[name].version
        generation = tenant.generation
        ready_message = (
            "suspended: every module answers 403" if spec.suspended else "all modules are ready"
        )
        conditions = [
            st.condition(st.READY, True, phase, ready_message, generation=generation),
            st.condition(
                st.DATABASES_READY, True, "DatabasesExist",
                f"{len(enabled)} databases exist", generation=generation,
            ),
            st.condition(
                st.MODULES_READY, True, "Onboarded",
                f"onboarded into {', '.join(enabled)}", generation=generation,
            ),
            st.deletion_policy(
                spec.deletion_policy, durable=self.settings.backup_durable, generation=generation
            ),
        ]  # fmt: skip
        if (
            conditions[-1]["status"] == "False"
            and _condition_status(tenant.status, st.DELETION_POLICY_ACCEPTED) != "False"
        ):
            warning(tenant.body, str(conditions[-1]["reason"]), st.NOT_DURABLE_MESSAGE)
        first_admin = tenant.status.get("firstAdmin")
        if result.first_admin is not None:
            invited = result.first_admin.user_id is None
            first_admin = "Invited" if invited else "Created"
        identity = tenant.status.get("identity")
        if result.identity_sent:
            identity = {"specHash": result.identity_fingerprint, "syncedAt": st.now()}
        if tenant.previous_phase != phase:
            normal(tenant.body, phase, f"tenant is {phase.lower()}")
        self._write(
            tenant, patch, phase=phase, conditions=conditions, modules=modules,
            observed=True, firstAdmin=first_admin, identity=identity,
        )  # fmt: skip

    def _describe_failure(
        self, tenant: TenantEvent, exc: ProvisioningError, patch: kopf.Patch, trigger: str
    ) -> None:
        generation = tenant.generation
        phase = st.PROVISIONING if exc.retryable else st.FAILED
        waiting = "waiting: " if exc.retryable else ""
        message = f"{waiting}{exc.message}"
        conditions = [st.condition(st.READY, False, exc.reason, message, generation=generation)]
        if isinstance(exc, DatabaseUnavailable):
            conditions.append(
                st.condition(st.DATABASES_READY, False, exc.reason, message, generation=generation)
            )
        elif exc.retryable or exc.module:
            conditions.append(
                st.condition(st.MODULES_READY, False, exc.reason, message, generation=generation)
            )
        modules = self._failure_modules(tenant, exc, message)
        changed = tenant.previous_phase != phase or _ready_reason(tenant.status) != exc.reason
        if trigger != "drift" or changed:
            warning(tenant.body, exc.reason, message)
        self._write(
            tenant, patch, phase=phase, conditions=conditions, modules=modules,
            observed=not exc.retryable,
        )  # fmt: skip

    def _failure_modules(
        self, tenant: TenantEvent, exc: ProvisioningError, message: str
    ) -> dict[str, dict[str, Any]] | None:
        try:
            spec = TenantSpec.model_validate(dict(tenant.spec))
        except ValidationError:
            return None
        enabled = spec.enabled_modules()
        previous = tenant.previous_modules
        state = "Waiting" if exc.retryable else st.FAILED
        return {
            **st.module_states(
                previous,
                enabled,
                {m: database_name(m, tenant.slug) for m in enabled},
                state=st.PENDING,
            ),
            **{
                m: {
                    **previous.get(m, {}),
                    "database": database_name(m, tenant.slug),
                    "state": state,
                    "message": message,
                }
                for m in enabled
                if exc.module in (None, m)
            },
        }

    def _write(
        self,
        tenant: TenantEvent,
        patch: kopf.Patch,
        *,
        phase: str,
        conditions: list[st.Condition],
        modules: dict[str, dict[str, Any]] | None,
        observed: bool,
        **extra: Any,
    ) -> None:
        wanted: dict[str, Any] = {
            "phase": phase,
            "conditions": st.merge_conditions(tenant.status.get("conditions") or [], conditions),
        }
        if modules is not None:
            wanted["modules"] = modules
            wanted["modulesReady"] = st.modules_ready(modules)
        if observed:
            wanted["observedGeneration"] = tenant.generation
        wanted.update({key: value for key, value in extra.items() if value is not None})
        for key, value in st.changed(tenant.status, wanted).items():
            patch.status[key] = value
        self.metrics.set_phase(tenant.slug, phase)


def _condition_status(status: Mapping[str, Any], type_: str) -> str | None:
    for item in status.get("conditions") or []:
        if item.get("type") == type_:
            return str(item.get("status"))
    return None


def _ready_reason(status: Mapping[str, Any]) -> str | None:
    for item in status.get("conditions") or []:
        if item.get("type") == st.READY:
            return str(item.get("reason"))
    return None
