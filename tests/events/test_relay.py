"""The relay publishes what a commit wrote at once, with the event id as Nats-Msg-Id,
marks it only once JetStream acknowledged, and never twice from two replicas."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from mosaico_shared.events.envelope import MSG_ID
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.tenancy.engines import TenantDatabases
from prometheus_client import REGISTRY

from tests.events.conftest import (
    eventually,
    new_tenant,
    payments_db,
    running_payments,
    unpublished,
)
from tests.events.payments import MODULE as PAYMENTS
from tests.events.payments import confirm_payment, create_payments_database
from tests.events.streams import payments_subject, stream_messages

pytestmark = pytest.mark.anyio


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_committed_event_is_published_at_once_with_its_id_as_message_id(
    postgres, nats_server
):
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    # No sweep during the test: only the hot path can publish.
    async with running_payments(
        postgres, nats_server.url, events_sweep_interval_seconds=3600
    ) as payments:
        await asyncio.sleep(0.2)  # the first sweep (at start) is over
        event_id = await confirm_payment(payments.databases, tenant, amount="12.34")

        async def published():
            messages = await stream_messages(nats_server.url, payments_subject(tenant))
            return messages if unpublished(postgres, tenant) == 0 and messages else None

        [(headers, envelope)] = await eventually(published, what="the event in JetStream")
    assert headers[MSG_ID] == str(event_id)
    assert envelope.id == event_id
    assert (envelope.type, envelope.tenant, envelope.module) == (
        "PaymentSucceeded",
        tenant,
        "payments",
    )
    assert envelope.schema_version == 1
    assert envelope.payload["amount"] == "12.34"
    assert envelope.subject == f"mosaico.{tenant}.payments.payment_succeeded"
    with payments_db(postgres, tenant) as db:
        created, published_at = db.execute("SELECT created_at, published_at FROM outbox").fetchone()
    assert published_at >= created


async def test_while_nats_is_away_events_wait_in_the_outbox_and_the_backlog_says_so(
    postgres, private_nats, caplog
):
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    private_nats.stop()
    caplog.set_level(logging.WARNING, logger="mosaico.events")
    async with running_payments(postgres, private_nats.url, wait=False) as payments:
        ids = [await confirm_payment(payments.databases, tenant) for _ in range(3)]

        async def backlog_seen():
            return sample("mosaico_outbox_backlog", module="payments") >= 3

        await eventually(backlog_seen, what="the sweeper counting the backlog")
        assert sample("mosaico_events_nats_connected", module="payments") == 0
        assert sample("mosaico_outbox_oldest_unpublished_age_seconds", module="payments") > 0
        assert unpublished(postgres, tenant) == 3
        assert any("NATS unreachable" in r.getMessage() for r in caplog.records)

        private_nats.start()

        async def drained():
            return unpublished(postgres, tenant) == 0

        await eventually(drained, what="the sweeper publishing once NATS is back")
        assert payments.connected
    messages = await stream_messages(private_nats.url, payments_subject(tenant))
    assert sorted(str(e.id) for _, e in messages) == sorted(map(str, ids))


async def test_nothing_is_marked_published_that_jetstream_did_not_store(postgres, private_nats):
    """A stream that refuses the subject (as a misconfigured one would) acks nothing:
    the rows stay for later, and failures are counted."""
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    failures_before = sample("mosaico_events_publish_failures_total", module="payments")
    async with running_payments(
        postgres, private_nats.url, events_subjects=["mosaico.*.crm.>"]
    ) as payments:
        await confirm_payment(payments.databases, tenant)

        async def failed():
            return (
                sample("mosaico_events_publish_failures_total", module="payments") > failures_before
            )

        await eventually(failed, what="a failed publish")
        assert unpublished(postgres, tenant) == 1


async def test_two_replicas_publish_each_row_exactly_once(postgres, private_nats):
    """Two replicas commit, relay and sweep the same tenant at once: each event is in
    the stream once. The hot path publishes what its own commit wrote; a row it
    published but had not marked yet when a sweeper claimed it is the one case of a
    second publish, and the duplicate window drops that."""
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    options = {"events_sweep_interval_seconds": 0.05}
    async with (
        running_payments(postgres, private_nats.url, **options) as one,
        running_payments(postgres, private_nats.url, **options) as two,
    ):
        ids = await asyncio.gather(
            *(confirm_payment(r.databases, tenant) for r in [one, two] * 100)
        )

        async def drained():
            return unpublished(postgres, tenant) == 0

        await eventually(drained, what="every row published")
    messages = await stream_messages(private_nats.url, payments_subject(tenant))
    counts = Counter(str(e.id) for _, e in messages)
    assert len(ids) == 200
    assert set(counts) == {str(i) for i in ids}
    assert set(counts.values()) == {1}


async def test_two_sweepers_never_publish_the_same_row(postgres, private_nats):
    """Rows committed where no relay runs, swept by two replicas at once with the
    stream's duplicate window shortened to 100 ms (its least): only the row claim
    (``FOR UPDATE SKIP LOCKED``) keeps a row from being published twice."""
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    elsewhere = TenantDatabases(postgres.app_url, PAYMENTS)  # no relay listens here
    try:
        ids = [await confirm_payment(elsewhere, tenant) for _ in range(200)]
    finally:
        await elsewhere.dispose_all()
    options = {"events_duplicate_window_seconds": 0.1, "events_sweep_interval_seconds": 0.05}
    async with (
        running_payments(postgres, private_nats.url, **options),
        running_payments(postgres, private_nats.url, **options),
    ):

        async def drained():
            return unpublished(postgres, tenant) == 0

        await eventually(drained, what="every row published")
    messages = await stream_messages(private_nats.url, payments_subject(tenant))
    counts = Counter(str(e.id) for _, e in messages)
    assert set(counts) == {str(i) for i in ids}
    assert set(counts.values()) == {1}


def test_a_duplicate_window_shorter_than_the_sweepers_grace_is_refused():
    with pytest.raises(ValueError, match="events_duplicate_window_seconds"):
        EventSettings(events_duplicate_window_seconds=1.0, events_sweep_grace_seconds=2.0)


def test_a_sweepers_grace_within_the_mark_linger_is_refused():
    with pytest.raises(ValueError, match="events_mark_linger_seconds"):
        EventSettings(events_mark_linger_seconds=1.0, events_sweep_grace_seconds=0.5)
    assert EventSettings(events_mark_linger_seconds=1.0, events_sweep_grace_seconds=0.0)


async def test_the_hot_path_marks_many_commits_at_once_and_stopping_lands_its_marks(
    postgres, nats_server
):
    """Commits one after another are published each at once, and marked together a
    moment later (``published_at`` is the marking transaction's ``now()``); a relay
    stopping with marks in hand makes them before it goes, leaving none to the sweeper."""
    tenant = new_tenant()
    create_payments_database(postgres, tenant)
    async with running_payments(
        postgres,
        nats_server.url,
        events_sweep_interval_seconds=3600,
        events_sweep_grace_seconds=2.0,
        events_mark_linger_seconds=1.0,
    ) as payments:
        await asyncio.sleep(0.2)  # the first sweep (at start) is over
        ids = [await confirm_payment(payments.databases, tenant) for _ in range(20)]

        async def all_out():
            messages = await stream_messages(nats_server.url, payments_subject(tenant))
            return len(messages) == len(ids)

        await eventually(all_out, what="every event in JetStream")
    assert unpublished(postgres, tenant) == 0
    with payments_db(postgres, tenant) as db:
        [(marks,)] = db.execute("SELECT count(DISTINCT published_at) FROM outbox").fetchall()
    assert marks <= 3, f"{len(ids)} commits marked in {marks} transactions"
