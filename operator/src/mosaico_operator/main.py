"""``python -m mosaico_operator``: the Kopf operator, its metrics and liveness probe."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import kopf
from mosaico_shared.credentials import CallerCredentials
from mosaico_shared.tasks import stop_task

from mosaico_operator.cluster import Cluster
from mosaico_operator.handlers import register
from mosaico_operator.memory import HeapTrimmer
from mosaico_operator.metrics import OperatorMetrics
from mosaico_operator.provisioning.tenant import Services
from mosaico_operator.reconciler import Operator
from mosaico_operator.service_urls import is_in_cluster
from mosaico_operator.settings import OperatorSettings


def build_operator(settings: OperatorSettings) -> Operator:
    """The shared clients: Kubernetes (invite Secrets), identity and the modules."""
    metrics = OperatorMetrics()
    return Operator(
        settings=settings,
        cluster=Cluster(),
        services=Services.connect(
            settings.identity_url,
            credentials=CallerCredentials(settings.caller_tokens_dir),
            service_addresses=settings.service_addresses,
            allowed_url=is_in_cluster,
            module_timeout=settings.module_timeout_seconds,
            onboarding_concurrency=settings.onboarding_concurrency,
            database_connections=settings.database_connections,
            count_identity_request=metrics.count_identity_request,
        ),
        metrics=metrics,
    )


def build_registry(operator: Operator) -> kopf.OperatorRegistry:
    registry = kopf.OperatorRegistry()
    ours = operator.settings
    peering_priority = (
        ours.peering_priority if ours.peering_priority is not None else time.time_ns() // 1000
    )

    @kopf.on.startup(registry=registry)
    def configure(settings: kopf.OperatorSettings, **_: Any) -> None:
        # Kopf's own per-handler Events would double ours; keep its warnings only.
        settings.posting.level = logging.WARNING
        # No worker_limit: at startup Kopf gives every object a worker that indexes it
        # and then waits for all the others to be indexed, so a limit below the number
        # of Tenants hangs the operator for good (kopf#1243). MOSAICO_WORKERS bounds the
        # reconciles instead (Operator.turns).
        settings.persistence.finalizer = "mosaico.dev/tenant-cleanup"
        # Without the peering CRD installed, run alone rather than not at all.
        settings.peering.mandatory = False
        # Served namespaces are the Secrets' (see run()); the peering stays cluster-wide
        # like the Tenants, in the ClusterKopfPeering the chart creates.
        settings.peering.clusterwide = True
        settings.peering.priority = peering_priority
        settings.peering.lifetime = ours.peering_lifetime_seconds
        operator.metrics.serve(ours.metrics_port)

    @kopf.on.login(registry=registry)
    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        # A custom registry has none of Kopf's default login handlers. The operator's own
        # writes (Operator.cluster) use the same credentials.
        return operator.cluster.login(**kwargs)

    trimmer = HeapTrimmer(ours.heap_trim_interval_seconds)
    background: list[asyncio.Task[None]] = []

    @kopf.on.startup(registry=registry)
    async def start_trimming(**_: Any) -> None:
        background.append(asyncio.create_task(trimmer.run(), name="heap-trim"))

    @kopf.on.cleanup(registry=registry)
    async def close_clients(**_: Any) -> None:
        for task in background:
            await stop_task(task)
        await operator.services.aclose()
        await operator.cluster.aclose()

    register(registry, operator)
    return registry


async def run(settings: OperatorSettings, *, stop_flag: asyncio.Event | None = None) -> None:
    """Run until stopped (SIGTERM, or ``stop_flag`` set)."""
    operator = build_operator(settings)
    # Tenants, Plans and Modules are cluster-scoped and watched cluster-wide whatever the
    # namespaces; the namespaces restrict the one namespaced kind watched, Secrets, so
    # the operator needs no access to the Secrets of the whole cluster.
    await kopf.operator(
        registry=build_registry(operator),
        namespaces=settings.watched_secret_namespaces,
        standalone=not settings.peering,
        peering_name=settings.peering or None,
        liveness_endpoint=f"http://{settings.health_host}:{settings.health_port}/healthz",
        stop_flag=stop_flag,
    )


def main() -> None:
    settings = OperatorSettings()
    kopf.configure(verbose=settings.log_level == "DEBUG")
    logging.getLogger().setLevel(settings.log_level)
    if settings.log_level != "DEBUG":
        # "Handler succeeded" for every tenant on every drift tick says nothing;
        # failures and our own Events still show.
        logging.getLogger("kopf.objects").setLevel(logging.WARNING)
        logging.getLogger("httpx").setLevel(logging.WARNING)
    asyncio.run(run(settings))
