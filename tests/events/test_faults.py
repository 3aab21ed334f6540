"""Zero loss and zero double effect when NATS stops in the middle of a stream of events,
and when the producing module is killed between its commit and its publish."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter

import pytest

from tests.events.conftest import (
    eventually,
    incomes,
    payer_tenant,
    running_finance_consumer,
    running_payments,
    unpublished,
)
from tests.events.payments import confirm_payment
from tests.events.streams import payments_subject, stream_messages

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def exactly_once(postgres, nats_url: str, tenant: str, ids: list) -> None:
    """Every event is in the stream once and became income once."""

    async def all_applied():
        return len(incomes(postgres, tenant)) >= len(ids)

    await eventually(all_applied, what=f"{len(ids)} incomes")
    await asyncio.sleep(1.0)  # a late duplicate would land by now
    applied = Counter(event for event, _ in incomes(postgres, tenant))
    assert set(applied) == {str(i) for i in ids}
    assert set(applied.values()) == {1}
    published = Counter(
        str(e.id) for _, e in await stream_messages(nats_url, payments_subject(tenant))
    )
    assert published == Counter(str(i) for i in ids)


async def test_nats_stopped_and_restarted_mid_stream_loses_nothing_and_applies_once(
    postgres, private_nats
):
    tenant = payer_tenant(postgres)
    ids: list = []
    async with (
        running_payments(postgres, private_nats.url) as payments,
        running_finance_consumer(postgres, private_nats.url),
    ):

        async def stream(count: int) -> None:
            for _ in range(count):
                ids.append(await confirm_payment(payments.databases, tenant, amount="0.10"))
                await asyncio.sleep(0.005)

        producing = asyncio.create_task(stream(300))
        await eventually(lambda: _async(len(incomes(postgres, tenant)) > 20), what="a first few")
        await asyncio.to_thread(private_nats.stop)
        await asyncio.sleep(1.0)  # commits go on while NATS is away
        assert unpublished(postgres, tenant) > 0
        await asyncio.to_thread(private_nats.start)
        await producing
        await exactly_once(postgres, private_nats.url, tenant, ids)
    assert len(ids) == 300


async def _async(value):
    return value


async def test_a_producer_killed_between_commit_and_publish_loses_nothing(postgres, private_nats):
    tenant = payer_tenant(postgres)
    producer = subprocess.Popen(
        [sys.executable, "-m", "tests.events.producer_process", postgres.app_url,
         private_nats.url, tenant],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert producer.stdout.readline().strip() == "ready"
        # NATS frozen: the producer commits, hands its publishes to the socket, and hears
        # no ack; it is killed before it could mark anything published.
        os.kill(private_nats.process.pid, signal.SIGSTOP)
        producer.stdin.write("pay 25\n")
        producer.stdin.flush()
        ids = [producer.stdout.readline().strip() for _ in range(25)]
        producer.kill()
        producer.wait()
    finally:
        os.kill(private_nats.process.pid, signal.SIGCONT)
        if producer.poll() is None:
            producer.kill()
    assert unpublished(postgres, tenant) == 25  # committed, none marked published

    # Another replica's sweeper publishes what was left; JetStream drops what already
    # reached it (same Nats-Msg-Id); finance applies each payment once.
    async with (
        running_payments(postgres, private_nats.url),
        running_finance_consumer(postgres, private_nats.url),
    ):

        async def drained():
            return unpublished(postgres, tenant) == 0

        await eventually(drained, what="the sweeper publishing the rows left behind")
        await exactly_once(postgres, private_nats.url, tenant, ids)


async def test_a_producer_killed_while_nats_was_away_loses_nothing(postgres, private_nats):
    tenant = payer_tenant(postgres)
    private_nats.stop()
    async with running_payments(postgres, private_nats.url, wait=False) as payments:
        ids = [await confirm_payment(payments.databases, tenant) for _ in range(10)]
    # The process is gone (its backbone stopped without publishing anything).
    assert unpublished(postgres, tenant) == 10
    private_nats.start()
    async with (
        running_payments(postgres, private_nats.url),
        running_finance_consumer(postgres, private_nats.url),
    ):
        await exactly_once(postgres, private_nats.url, tenant, ids)
