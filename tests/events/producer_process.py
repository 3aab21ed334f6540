"""A payments-like module as a process of its own, for tests that kill it:
``python -m tests.events.producer_process <server url> <nats url> <tenant>``.

Prints ``ready`` once connected to NATS; each line ``pay N`` on stdin commits N payments
(one transaction each) and prints each event id once its transaction committed.
"""

from __future__ import annotations

import asyncio
import sys

from mosaico_shared.events.backbone import EventBackbone
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.tenancy.engines import TenantDatabases

from tests.events.payments import MODULE, PaymentsOutbox, confirm_payment


async def main(server_url: str, nats_url: str, tenant: str) -> None:
    settings = EventSettings(nats_url=nats_url, events_sweep_interval_seconds=3600)
    databases = TenantDatabases(server_url, MODULE)
    backbone = EventBackbone(settings, MODULE, outbox=PaymentsOutbox)
    backbone.start(databases)
    assert backbone.bus is not None
    await backbone.bus.wait_connected()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, count = line.split()
        assert command == "pay"
        for _ in range(int(count)):
            event_id = await confirm_payment(databases, tenant, amount="1.00")
            print(event_id, flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
