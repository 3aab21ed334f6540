"""Kopf handlers: thin adapters from Kopf's keyword arguments to the reconciler."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

import kopf
from pydantic import ValidationError

from mosaico_operator.cluster import PLAN_REVISION_ANNOTATION
from mosaico_operator.deletion import delete_tenant
from mosaico_operator.models import (
    GROUP,
    MODULES_PLURAL,
    PLANS,
    TENANTS,
    VERSION,
    ModuleSpec,
    PlanSpec,
)
from mosaico_operator.reconciler import Operator, TenantEvent
from mosaico_operator.secrets import SecretData, SecretKey, Secrets, index_entry

#: Kopf passes each index as a keyword argument named by its id (``secret_index``).
SecretIndex = kopf.Index[SecretKey, SecretData]
SpecIndex = kopf.Index[str, dict[str, Any]]


class _NotPassed(kopf.Index[Any, Any]):
    """The default of an index argument. Kopf always passes its indexes; the default
    only makes the handlers' signatures fit Kopf's handler protocols (which do not know
    our index ids), and fails loudly if an id and an argument's name ever part."""

    def _missing(self) -> NoReturn:
        raise LookupError("Kopf passed no index under this argument's name")

    def __getitem__(self, key: Any) -> NoReturn:
        self._missing()

    def __iter__(self) -> Iterator[Any]:
        self._missing()

    def __len__(self) -> int:
        self._missing()


NOT_PASSED: Any = _NotPassed()


def _latest(index: SpecIndex, name: str) -> Any:
    store = index.get(name)
    return next(iter(store), None) if store is not None else None


def _plans(index: SpecIndex, name: str) -> dict[str, PlanSpec]:
    raw = _latest(index, name)
    if raw is None:
        return {}
    try:
        return {name: PlanSpec.model_validate(raw)}
    except ValidationError:
        return {}


def _modules(index: SpecIndex) -> dict[str, ModuleSpec]:
    found = {}
    for name in index:
        raw = _latest(index, name)
        try:
            found[name] = ModuleSpec.model_validate(raw)
        except ValidationError:
            continue
    return found


def _event(
    name: str, body: kopf.Body, spec: kopf.Spec, status: kopf.Status, meta: kopf.Meta
) -> TenantEvent:
    return TenantEvent(
        slug=name,
        body=body,
        spec=dict(spec),
        status=dict(status),
        generation=int(meta.get("generation") or 0),
    )


def register(registry: kopf.OperatorRegistry, operator: Operator) -> None:
    """Attach every handler to ``registry``, closing over ``operator`` (no globals).

    Plans, Modules and the Secrets they and Tenants point at are held in Kopf indexes
    (``plan_index``, ``module_index``, ``secret_index``, passed to handlers as keyword
    arguments): no API call per reconcile to look them up.
    """
    settings = operator.settings
    secret_namespaces = settings.watched_secret_namespaces

    def secrets(index: SecretIndex) -> Secrets:
        return Secrets(index, secret_namespaces)

    @kopf.index(GROUP, VERSION, PLANS, id="plan_index", registry=registry)
    def plan_index(name: str, spec: kopf.Spec, **_: Any) -> dict[str, Any]:
        return {name: dict(spec)}

    @kopf.index(GROUP, VERSION, MODULES_PLURAL, id="module_index", registry=registry)
    def module_index(name: str, spec: kopf.Spec, **_: Any) -> dict[str, Any]:
        return {name: dict(spec)}

    # Watched only in the namespaces the operator serves (see main.run), where RBAC lets
    # it list and watch them.
    @kopf.index("v1", "secrets", id="secret_index", registry=registry)
    def secret_index(
        namespace: str | None, name: str, body: kopf.Body, **_: Any
    ) -> dict[SecretKey, SecretData]:
        return index_entry(namespace, name, body.get("type"), body.get("data"))

    @kopf.index(GROUP, VERSION, TENANTS, id="tenants_by_plan", registry=registry)
    def tenants_by_plan(name: str, spec: kopf.Spec, **_: Any) -> dict[str, str]:
        return {str(spec.get("plan", "")): name}

    # An event handler keeps no state on the Plan (the operator may only read Plans).
    # The generation changes with the spec alone, so other events re-mark nothing.
    @kopf.on.event(GROUP, VERSION, PLANS, id="plan_changed", registry=registry)
    async def plan_changed(
        type: str,
        name: str,
        meta: kopf.Meta,
        tenants_by_plan: kopf.Index[str, str] = NOT_PASSED,
        **_: Any,
    ) -> None:
        if type != "MODIFIED":
            return
        revision = str(meta.get("generation", ""))
        for tenant in sorted(set(tenants_by_plan.get(name, []))):
            await operator.cluster.mark_plan_changed(tenant, revision)

    @kopf.on.update(
        GROUP, VERSION, TENANTS,
        field=("metadata", "annotations", PLAN_REVISION_ANNOTATION),
        id="plan_refresh",
        registry=registry,
    )  # fmt: skip
    async def refresh_plan(
        name: str,
        body: kopf.Body,
        spec: kopf.Spec,
        status: kopf.Status,
        meta: kopf.Meta,
        patch: kopf.Patch,
        retry: int,
        plan_index: SpecIndex = NOT_PASSED,
        module_index: SpecIndex = NOT_PASSED,
        secret_index: SecretIndex = NOT_PASSED,
        **_: Any,
    ) -> None:
        if meta.get("deletionTimestamp"):
            return
        await operator.reconcile(
            _event(name, body, spec, status, meta),
            plans=_plans(plan_index, str(spec.get("plan", ""))),
            modules=_modules(module_index),
            secrets=secrets(secret_index),
            patch=patch,
            trigger="plan",
            retry=retry,
        )

    @kopf.on.resume(GROUP, VERSION, TENANTS, id="reconcile", registry=registry)
    @kopf.on.create(GROUP, VERSION, TENANTS, id="reconcile", registry=registry)
    @kopf.on.update(GROUP, VERSION, TENANTS, field="spec", id="reconcile", registry=registry)
    async def reconcile_tenant(
        name: str,
        body: kopf.Body,
        spec: kopf.Spec,
        status: kopf.Status,
        meta: kopf.Meta,
        patch: kopf.Patch,
        retry: int,
        reason: str,
        plan_index: SpecIndex = NOT_PASSED,
        module_index: SpecIndex = NOT_PASSED,
        secret_index: SecretIndex = NOT_PASSED,
        **_: Any,
    ) -> None:
        await operator.reconcile(
            _event(name, body, spec, status, meta),
            plans=_plans(plan_index, str(spec.get("plan", ""))),
            modules=_modules(module_index),
            secrets=secrets(secret_index),
            patch=patch,
            trigger=str(reason),
            retry=retry,
        )

    @kopf.timer(
        GROUP, VERSION, TENANTS,
        id="repair_drift",
        interval=settings.drift_interval_seconds,
        initial_delay=settings.drift_interval_seconds,
        registry=registry,
    )  # fmt: skip
    async def repair_drift(
        name: str,
        body: kopf.Body,
        spec: kopf.Spec,
        status: kopf.Status,
        meta: kopf.Meta,
        patch: kopf.Patch,
        plan_index: SpecIndex = NOT_PASSED,
        module_index: SpecIndex = NOT_PASSED,
        secret_index: SecretIndex = NOT_PASSED,
        **_: Any,
    ) -> None:
        # Only tenants whose current spec was handled to the end: the change handlers
        # own the rest, with their own retries.
        if meta.get("deletionTimestamp") or status.get("observedGeneration") != meta.get(
            "generation"
        ):
            return
        try:
            await operator.reconcile(
                _event(name, body, spec, status, meta),
                plans=_plans(plan_index, str(spec.get("plan", ""))),
                modules=_modules(module_index),
                secrets=secrets(secret_index),
                patch=patch,
                trigger="drift",
            )
        except kopf.TemporaryError:
            return  # said in status and Events; the next tick tries again

    # No Kopf retry limit: delete_tenant counts attempts itself, and a failed backup
    # waits for as long as it fails.
    @kopf.on.delete(GROUP, VERSION, TENANTS, id="delete", registry=registry)
    async def remove_tenant(
        name: str,
        body: kopf.Body,
        spec: kopf.Spec,
        status: kopf.Status,
        meta: kopf.Meta,
        patch: kopf.Patch,
        retry: int,
        module_index: SpecIndex = NOT_PASSED,
        secret_index: SecretIndex = NOT_PASSED,
        **_: Any,
    ) -> None:
        await delete_tenant(
            operator,
            _event(name, body, spec, status, meta),
            modules=_modules(module_index),
            secrets=secrets(secret_index),
            patch=patch,
            retry=retry,
        )


__all__ = ["register"]
