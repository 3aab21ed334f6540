"""finance consumes ``PaymentSucceeded`` as payments will publish it: every event becomes
income once, whatever is redelivered and however many replicas consume."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import nats
import pytest
from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.events.envelope import new_envelope
from nats.js.errors import NotFoundError
from prometheus_client import REGISTRY

from tests.events.conftest import (
    eventually,
    finance_db,
    incomes,
    new_tenant,
    payer_tenant,
    running_finance_consumer,
    running_payments,
)
from tests.events.payments import confirm_payment

pytestmark = pytest.mark.anyio


def payment(amount: str = "10.00") -> PaymentSucceeded:
    return PaymentSucceeded(
        payment_id=f"pay_{uuid.uuid4().hex[:12]}",
        amount=amount,
        method="pix",
        paid_at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
    )


async def publish_raw(nats_url: str, envelope, *, msg_id: str | None = None) -> None:
    """Publish like a relay would, with a message id of our choosing (a redelivery after
    the duplicate window looks like this)."""
    nc = await nats.connect(nats_url)
    try:
        headers = envelope.headers()
        if msg_id is not None:
            headers["Nats-Msg-Id"] = msg_id
        await nc.jetstream().publish(envelope.subject, envelope.encode(), headers=headers)
    finally:
        await nc.close()


async def test_each_payment_becomes_income_once(postgres, nats_server):
    tenant = payer_tenant(postgres)
    async with (
        running_payments(postgres, nats_server.url) as payments,
        running_finance_consumer(postgres, nats_server.url),
    ):
        ids = [
            await confirm_payment(payments.databases, tenant, amount=f"{n}.00") for n in (1, 2, 3)
        ]

        async def recorded():
            found = incomes(postgres, tenant)
            return found if len(found) == 3 else None

        found = await eventually(recorded, what="three incomes")
    assert sorted(found) == sorted((str(i), f"{n}.00") for i, n in zip(ids, (1, 2, 3), strict=True))
    with finance_db(postgres, tenant) as db:
        consumed = db.execute(
            "SELECT consumer, event_id, event_type FROM consumed_events"
        ).fetchall()
    assert sorted((c, str(e), t) for c, e, t in consumed) == sorted(
        ("finance-payment-income", str(i), "PaymentSucceeded") for i in ids
    )


async def test_a_redelivered_event_changes_nothing(postgres, nats_server):
    tenant = payer_tenant(postgres)
    envelope = new_envelope(tenant, payment("7.00"), occurred_at=datetime.now(UTC))
    async with running_finance_consumer(postgres, nats_server.url):
        for copy in range(3):  # the same event three times, past the duplicate window
            await publish_raw(nats_server.url, envelope, msg_id=f"{envelope.id}-{copy}")

        async def three_seen():
            with finance_db(postgres, tenant) as db:
                return db.execute("SELECT count(*) FROM consumed_events").fetchone()[0] == 1

        await eventually(three_seen, what="the event applied")
        await asyncio.sleep(1.0)  # the two copies come after the first
    assert incomes(postgres, tenant) == [(str(envelope.id), "7.00")]


async def test_copies_of_one_event_fetched_together_apply_once(postgres, nats_server):
    """Copies of one event waiting side by side (republished past the duplicate
    window) reach the consumer in one fetch and one transaction: one effect."""
    tenant = payer_tenant(postgres)
    envelope = new_envelope(tenant, payment("8.00"), occurred_at=datetime.now(UTC))
    async with running_payments(postgres, nats_server.url):
        pass  # the streams exist
    for copy in range(3):
        await publish_raw(nats_server.url, envelope, msg_id=f"{envelope.id}-{copy}")
    labels = {"module": "finance", "consumer": "finance-payment-income"}

    def outcomes() -> dict[str, float]:
        return {
            outcome: REGISTRY.get_sample_value(
                "mosaico_events_consumed_total", {**labels, "outcome": outcome}
            )
            or 0.0
            for outcome in ("applied", "duplicate")
        }

    before = outcomes()
    async with running_finance_consumer(postgres, nats_server.url):

        async def all_answered():
            return sum(outcomes().values()) - sum(before.values()) >= 3

        await eventually(all_answered, what="the three copies answered")
    after = outcomes()
    # finance's own table would hide a second run of its handler: the consumer's count
    # says how often the handler ran.
    assert {k: after[k] - before[k] for k in after} == {"applied": 1, "duplicate": 2}
    assert incomes(postgres, tenant) == [(str(envelope.id), "8.00")]


async def test_an_event_for_a_tenant_without_finance_is_acknowledged_and_skipped(
    postgres, nats_server
):
    tenant = new_tenant()  # no finance database
    envelope = new_envelope(tenant, payment(), occurred_at=datetime.now(UTC))
    async with running_finance_consumer(postgres, nats_server.url) as finance:
        await publish_raw(nats_server.url, envelope)
        runner = finance.backbone.runners["finance-payment-income"]
        js = finance.backbone.bus.js

        async def acknowledged():
            try:
                info = await js.consumer_info("MOSAICO_EVENTS", runner.durable)
            except NotFoundError:  # the runner creates its durable in the background
                return False
            acked = info.ack_floor is not None and info.ack_floor.stream_seq > 0
            return acked and info.num_pending == 0 and info.num_ack_pending == 0

        await eventually(acknowledged, what="the event acknowledged")


async def test_two_consumer_replicas_and_two_relays_apply_every_event_exactly_once(
    postgres, nats_server
):
    tenants = [payer_tenant(postgres) for _ in range(2)]
    async with (
        running_payments(postgres, nats_server.url) as one,
        running_payments(postgres, nats_server.url) as two,
        running_finance_consumer(postgres, nats_server.url),
        running_finance_consumer(postgres, nats_server.url),
    ):
        ids = await asyncio.gather(
            *(
                confirm_payment(relay.databases, tenant, amount="0.01")
                for relay in (one, two)
                for tenant in tenants
                for _ in range(50)
            )
        )

        async def all_recorded():
            return sum(len(incomes(postgres, t)) for t in tenants) >= len(ids)

        await eventually(all_recorded, what="every payment recorded")
        await asyncio.sleep(0.5)
    recorded = [event for t in tenants for event, _ in incomes(postgres, t)]
    assert sorted(recorded) == sorted(map(str, ids))


async def test_a_tenants_events_fetched_together_share_a_transaction_and_a_poison_one_fails_alone(
    postgres, nats_server
):
    """Events waiting for one tenant are applied in a few transactions, not one each;
    one that cannot be applied (its amount is no amount) rolls back only its own
    attempt: every other event is income exactly once and the poison one never is."""
    tenant = payer_tenant(postgres)
    good = [new_envelope(tenant, payment("1.00"), occurred_at=datetime.now(UTC)) for _ in range(30)]
    poison = new_envelope(tenant, payment("2.00"), occurred_at=datetime.now(UTC))
    poison = poison.model_copy(update={"payload": {**poison.payload, "amount": "dois reais"}})
    async with running_payments(postgres, nats_server.url):
        pass  # the streams exist
    for envelope in [*good[:15], poison, *good[15:]]:
        await publish_raw(nats_server.url, envelope)  # all wait before the consumer starts
    async with running_finance_consumer(postgres, nats_server.url):

        async def recorded():
            found = incomes(postgres, tenant)
            return found if len(found) >= len(good) else None

        await eventually(recorded, what="every good payment recorded")
        await asyncio.sleep(1.0)  # the poison one's retries come and go meanwhile
    assert sorted(e for e, _ in incomes(postgres, tenant)) == sorted(str(e.id) for e in good)
    with finance_db(postgres, tenant) as db:
        # now(), the default of consumed_at, is when the row's transaction began.
        [(transactions,)] = db.execute(
            "SELECT count(DISTINCT consumed_at) FROM consumed_events"
        ).fetchall()
    assert transactions < len(good) // 2, f"{len(good)} events in {transactions} transactions"
