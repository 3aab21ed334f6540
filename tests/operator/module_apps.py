"""Stand-ins for modules: each is the real shared service app with the real onboarding
endpoint and a one-table migration, all in one process
(``uvicorn tests.operator.module_apps:app``), dispatched by URL prefix.

The operator's tests onboard the real crm and finance on Kubernetes and use stand-ins
for the modules not built yet (and crm where provisioning runs without Kubernetes); the
provisioning benchmark measures the operator's own cost, so it onboards stand-ins only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

from fastapi import FastAPI
from mosaico_shared.app import create_service_app
from mosaico_shared.onboarding import onboarding_router
from mosaico_shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "module_migrations"
STAND_IN_MODULES = ("crm", "commerce", "finance", "payments", "notifications")


def module_app(module: str) -> FastAPI:
    settings_type = type(
        f"{module.title()}Settings",
        (ServiceSettings,),
        {"__annotations__": {"module": ClassVar[str]}, "module": module},
    )
    settings = settings_type()
    return create_service_app(settings, routers=[onboarding_router(module, MIGRATIONS)])


#: Tenants named ``slow...`` wait this long in notifications' onboarding, so a test can
#: stop the operator while a tenant is half provisioned.
SLOW_ONBOARDING_SECONDS = 5.0


def _is_slow_onboarding(scope: dict[str, Any]) -> bool:
    parts = scope["path"].strip("/").split("/")
    return (
        len(parts) == 5
        and parts[0] == "notifications"
        and parts[4] == "onboard"
        and parts[3].startswith("slow")
    )


class PrefixDispatcher:
    """One ASGI app per module, chosen by the first path segment (``/crm/...``)."""

    def __init__(self, apps: dict[str, FastAPI]) -> None:
        self.apps = apps

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            while message["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
                message = await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        module = scope["path"].strip("/").split("/", 1)[0]
        target = self.apps.get(module)
        if target is None:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if _is_slow_onboarding(scope):
            await asyncio.sleep(SLOW_ONBOARDING_SECONDS)
        await target(scope, receive, send)


def __getattr__(name: str) -> Any:
    if name == "app":
        return PrefixDispatcher({m: module_app(m) for m in STAND_IN_MODULES})
    raise AttributeError(name)
