"""Tenant status: phase, conditions in the Kubernetes convention, per-module state."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

READY, DATABASES_READY, MODULES_READY = "Ready", "DatabasesReady", "ModulesReady"
DELETION_POLICY_ACCEPTED, DATABASES_BACKED_UP = "DeletionPolicyAccepted", "DatabasesBackedUp"
PENDING, PROVISIONING, READY_PHASE, SUSPENDED, FAILED, DELETING = (
    "Pending",
    "Provisioning",
    "Ready",
    "Suspended",
    "Failed",
    "Deleting",
)
DISABLED = "Disabled"
CONDITION_ORDER = (
    READY,
    DATABASES_READY,
    MODULES_READY,
    DELETION_POLICY_ACCEPTED,
    DATABASES_BACKED_UP,
)

NOT_DURABLE_MESSAGE = (
    "deletionPolicy Delete is refused: the operator's backup folder does not outlive its "
    "pod (give the operator chart a backups volume claim), so a deleted tenant keeps its "
    "databases"
)

Condition = dict[str, Any]


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_since(stamp: object) -> float | None:
    """Seconds from a time written by :func:`now` until now; None when unreadable."""
    try:
        then = datetime.datetime.strptime(str(stamp), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    elapsed = datetime.datetime.now(datetime.UTC) - then.replace(tzinfo=datetime.UTC)
    return elapsed.total_seconds()


def changed(previous: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``wanted`` that ``previous`` does not already hold as they are: a
    status patch of only these, empty when nothing changed (Kopf then sends none)."""
    return {key: value for key, value in wanted.items() if previous.get(key) != value}


def condition(
    type_: str, ok: bool | None, reason: str, message: str, *, generation: int
) -> Condition:
    status = "Unknown" if ok is None else ("True" if ok else "False")
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    }


def merge_conditions(
    previous: Sequence[Mapping[str, Any]], updates: Sequence[Condition]
) -> list[Condition]:
    """Replace conditions by type; lastTransitionTime moves only when status changes."""
    merged = {c["type"]: dict(c) for c in previous if "type" in c}
    for update in updates:
        old = merged.get(update["type"])
        moved = old is None or old.get("status") != update["status"]
        stamp = (
            now()
            if moved or not old or "lastTransitionTime" not in old
            else old["lastTransitionTime"]
        )
        merged[update["type"]] = {**update, "lastTransitionTime": stamp}
    order = CONDITION_ORDER
    return sorted(
        merged.values(),
        key=lambda c: (order.index(c["type"]) if c["type"] in order else 99, c["type"]),
    )


def deletion_policy(policy: str, *, durable: bool, generation: int) -> Condition:
    """Whether the tenant's deletion policy will be followed as written."""
    if policy != "Delete":
        return condition(
            DELETION_POLICY_ACCEPTED, True, "Retain", "on deletion the databases are kept",
            generation=generation,
        )  # fmt: skip
    if not durable:
        return condition(
            DELETION_POLICY_ACCEPTED, False, "BackupNotDurable", NOT_DURABLE_MESSAGE,
            generation=generation,
        )  # fmt: skip
    return condition(
        DELETION_POLICY_ACCEPTED, True, "DurableBackups",
        "on deletion every database is dumped, read back, then dropped",
        generation=generation,
    )  # fmt: skip


def deletion_waits(reason: str, message: str, *, backup: bool, generation: int) -> Condition:
    """Why a deletion has not finished yet (it is retried)."""
    type_ = DATABASES_BACKED_UP if backup else READY
    return condition(type_, False, reason, f"deletion waits: {message}", generation=generation)


def modules_ready(modules: Mapping[str, Mapping[str, Any]]) -> str:
    """``3/4``: enabled modules that are Ready out of all enabled ones."""
    enabled = [m for m in modules.values() if m.get("state") != DISABLED]
    ready = [m for m in enabled if m.get("state") == READY_PHASE]
    return f"{len(ready)}/{len(enabled)}"


def module_states(
    previous: Mapping[str, Mapping[str, Any]],
    enabled: Sequence[str],
    databases: Mapping[str, str],
    *,
    state: str,
    versions: Mapping[str, str | None] | None = None,
    failing: str | None = None,
    message: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Per-module status: enabled ones in ``state`` (``failing`` one with ``message``),
    modules no longer enabled kept as Disabled (their data stays)."""
    result: dict[str, dict[str, Any]] = {}
    for name, old in previous.items():
        if name not in enabled:
            result[name] = {**old, "state": DISABLED, "message": "disabled; its database is kept"}
    for name in enabled:
        entry: dict[str, Any] = {
            **previous.get(name, {}),
            "database": databases[name],
            "state": state,
        }
        entry.pop("message", None)
        if versions is not None and name in versions:
            entry["schemaVersion"] = versions[name]
        if failing is not None and name == failing:
            entry["message"] = message
        result[name] = entry
    return result
