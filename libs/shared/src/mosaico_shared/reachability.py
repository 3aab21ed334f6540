"""Whether the services a module leans on answer, as a metric rather than a readiness
check: a pod keeps serving from what it has cached while identity restarts, so taking
it out of its Service would turn one restart into an outage of every module."""

from __future__ import annotations

import asyncio
import logging

import httpx
from prometheus_client import Gauge

logger = logging.getLogger("mosaico.reachability")

DEPENDENCY_UP = Gauge(
    "mosaico_dependency_up",
    "1 when the module's last probe of a dependency got a usable answer, 0 when not.",
    ["module", "dependency"],
)


async def probe_once(client: httpx.AsyncClient, url: str, *, probe_timeout: float) -> bool:
    """One probe: ``url`` answers 200 with a JSON object."""
    try:
        response = await client.get(url, timeout=probe_timeout)
        return response.status_code == 200 and isinstance(response.json(), dict)
    except (httpx.HTTPError, ValueError):
        return False


async def watch_dependency(
    client: httpx.AsyncClient,
    url: str,
    *,
    module: str,
    dependency: str,
    interval: float,
    probe_timeout: float = 2.0,
) -> None:
    """Probe ``url`` every ``interval`` seconds for as long as the task runs, keeping
    ``mosaico_dependency_up{module, dependency}`` current and logging each change."""
    gauge = DEPENDENCY_UP.labels(module, dependency)
    was_up: bool | None = None
    while True:
        up = await probe_once(client, url, probe_timeout=probe_timeout)
        gauge.set(1 if up else 0)
        if up != was_up and was_up is not None:
            log = logger.info if up else logger.warning
            log("%s is %s", dependency, "reachable again" if up else "unreachable")
        was_up = up
        await asyncio.sleep(interval)
