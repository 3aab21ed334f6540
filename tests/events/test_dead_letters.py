"""A message that keeps failing lands in the dead-letter stream after its last delivery,
with the error, the consumer and the attempts; the internal API lists, shows and
replays it, and a replay after the fix applies it once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import nats
import pytest
from fastapi.testclient import TestClient
from mosaico_finance.main import create_app
from mosaico_finance.models import ConsumedEvent
from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.events.consumer import EventConsumer
from mosaico_shared.events.envelope import new_envelope
from mosaico_shared.events.settings import EventSettings
from prometheus_client import REGISTRY

from tests.events.conftest import (
    eventually,
    finance_settings,
    incomes,
    open_bank_account,
    payer_tenant,
    running_backbone,
    running_payments,
)
from tests.events.payments import confirm_payment
from tests.events.test_consumer import payment, publish_raw
from tests.fixtures.tenants import INTERNAL

pytestmark = pytest.mark.anyio
LETTERS = "/finance/internal/dead-letters"


@pytest.fixture
def finance_app(postgres, nats_server) -> Iterator[TestClient]:
    """finance in this process (HTTP and its consumer), on the session's NATS."""
    app = create_app(finance_settings(postgres, nats_server.url))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def letters_of(finance: TestClient, tenant: str) -> list[dict]:
    response = finance.get(LETTERS, params={"tenant": tenant}, headers=INTERNAL)
    assert response.status_code == 200, response.text
    return list(response.json())


async def dead_lettered(finance: TestClient, tenant: str, count: int = 1) -> list[dict]:
    async def found():
        letters = letters_of(finance, tenant)
        return letters if len(letters) >= count else None

    return await eventually(found, what=f"{count} dead letter(s) for {tenant}")


def dead_letter_count() -> float:
    labels = {"module": "finance", "consumer": "finance-payment-income"}
    return REGISTRY.get_sample_value("mosaico_events_dead_letters_total", labels) or 0.0


async def test_a_poison_message_is_dead_lettered_after_max_deliver_then_replayed_once(
    postgres, nats_server, finance_app
):
    tenant = payer_tenant(postgres, bank_account=False)  # every attempt fails: no account
    before = dead_letter_count()
    async with running_payments(postgres, nats_server.url) as payments:
        event_id = await confirm_payment(payments.databases, tenant, amount="99.90")
        [letter] = await dead_lettered(finance_app, tenant)
    assert letter["consumer"] == "finance-payment-income"
    assert letter["attempts"] == 3  # events_max_deliver in these tests
    assert "Conflict" in letter["error"]
    assert "bank account" in letter["error"]
    assert letter["subject"] == f"mosaico.{tenant}.payments.payment_succeeded"
    assert letter["event"]["id"] == str(event_id)
    assert letter["event"]["payload"]["amount"] == "99.90"
    assert dead_letter_count() == before + 1
    assert incomes(postgres, tenant) == []
    shown = finance_app.get(f"{LETTERS}/{letter['sequence']}", headers=INTERNAL)
    assert shown.status_code == 200
    assert shown.json() == letter

    # Not fixed yet: the replay fails again and the dead letter stays.
    refused = finance_app.post(f"{LETTERS}/{letter['sequence']}/replay", headers=INTERNAL)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert len(letters_of(finance_app, tenant)) == 1

    open_bank_account(postgres, tenant)  # the fix
    replayed = finance_app.post(f"{LETTERS}/{letter['sequence']}/replay", headers=INTERNAL)
    assert replayed.status_code == 200, replayed.text
    assert replayed.json() == {"sequence": letter["sequence"], "outcome": "applied"}
    assert incomes(postgres, tenant) == [(str(event_id), "99.90")]
    assert letters_of(finance_app, tenant) == []
    again = finance_app.post(f"{LETTERS}/{letter['sequence']}/replay", headers=INTERNAL)
    assert again.status_code == 404
    assert incomes(postgres, tenant) == [(str(event_id), "99.90")]


async def test_replaying_every_dead_letter_of_a_tenant_applies_each_once(
    postgres, nats_server, finance_app
):
    tenant = payer_tenant(postgres, bank_account=False)
    other = payer_tenant(postgres, bank_account=False)
    async with running_payments(postgres, nats_server.url) as payments:
        ids = [await confirm_payment(payments.databases, tenant) for _ in range(3)]
        await confirm_payment(payments.databases, other)
        await dead_lettered(finance_app, tenant, 3)
        await dead_lettered(finance_app, other, 1)
    # The same event dead-lettered twice (published again past the duplicate window).
    envelope = new_envelope(tenant, payment("5.00"), occurred_at=datetime.now(UTC))
    await publish_raw(nats_server.url, envelope, msg_id=f"{envelope.id}-a")
    await publish_raw(nats_server.url, envelope, msg_id=f"{envelope.id}-b")
    await dead_lettered(finance_app, tenant, 5)

    open_bank_account(postgres, tenant)
    result = finance_app.post(f"{LETTERS}/replay", params={"tenant": tenant}, headers=INTERNAL)
    assert result.status_code == 200, result.text
    outcomes = sorted(r["outcome"] for r in result.json()["replayed"])
    assert outcomes == ["applied"] * 4 + ["duplicate"]
    assert result.json()["failed"] == []
    assert sorted(e for e, _ in incomes(postgres, tenant)) == sorted(map(str, [*ids, envelope.id]))
    assert letters_of(finance_app, tenant) == []
    assert len(letters_of(finance_app, other)) == 1  # another tenant's stay


async def test_a_message_that_is_no_envelope_is_dead_lettered_at_once(
    postgres, nats_server, finance_app
):
    tenant = payer_tenant(postgres)
    nc = await nats.connect(nats_server.url)
    try:
        await nc.jetstream().publish(f"mosaico.{tenant}.payments.payment_succeeded", b"{not json")
    finally:
        await nc.close()
    [letter] = await dead_lettered(finance_app, tenant)
    assert letter["attempts"] == 1
    assert letter["event"] == {"undecodable": "{not json"}
    replay = finance_app.post(f"{LETTERS}/{letter['sequence']}/replay", headers=INTERNAL)
    assert replay.status_code == 409


def test_the_dead_letter_api_is_internal_and_checks_its_input(finance_app):
    assert finance_app.get(LETTERS).status_code == 401
    assert finance_app.get(LETTERS, headers={"Authorization": "Bearer nope"}).status_code == 401
    # JetStream's sequences are unsigned 64-bit: one past them is refused here, not by NATS.
    for path, params in ((LETTERS, {"tenant": "Not A Slug"}), (LETTERS, {"limit": 0}),
                         (f"{LETTERS}/0", {}), (f"{LETTERS}/abc", {}),
                         (LETTERS, {"after": 2**64 - 1}), (f"{LETTERS}/{2**64}", {})):  # fmt: skip
        response = finance_app.get(path, params=params, headers=INTERNAL)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    for sequence in (999999999, 2**64 - 1):
        missing = finance_app.get(f"{LETTERS}/{sequence}", headers=INTERNAL)
        assert missing.status_code == 404, missing.text
    last = finance_app.get(LETTERS, params={"after": 2**64 - 2}, headers=INTERNAL)
    assert last.status_code == 200, last.text
    assert last.json() == []
    assert "/finance/internal/dead-letters" not in finance_app.get("/finance/openapi.json").text


@pytest.fixture
def finance_without_nats(postgres, private_nats, identity_server) -> Iterator[TestClient]:
    private_nats.stop()
    app = create_app(finance_settings(postgres, private_nats.url, identity_url=identity_server))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_without_nats_the_api_says_so_and_readiness_does_not_fail(finance_without_nats):
    response = finance_without_nats.get(LETTERS, headers=INTERNAL)
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    ready = finance_without_nats.get("/finance/readyz")
    assert ready.status_code == 200, ready.text
    metrics = finance_without_nats.get("/finance/metrics").text
    assert 'mosaico_events_nats_connected{module="finance"} 0.0' in metrics


class OneTenantConsumer(EventConsumer):
    """A consumer that reads one tenant's events only (the stream holds every test's)."""

    def __init__(self, name: str, tenant: str) -> None:
        super().__init__(name, processed=ConsumedEvent)
        self.tenant = tenant

    def subjects(self) -> list[str]:
        return [subject.replace(".*.", f".{self.tenant}.", 1) for subject in super().subjects()]


async def test_a_message_whose_last_delivery_gets_no_answer_is_dead_lettered(postgres, nats_server):
    """The replica holding the last delivery hangs (or died): JetStream's advisory, not
    the handler, is what sends the message to the dead-letter stream."""
    tenant = payer_tenant(postgres)
    stuck = OneTenantConsumer("stuck", tenant)
    never = asyncio.Event()

    @stuck.handles(PaymentSucceeded)
    async def hang(session, event) -> None:
        await never.wait()

    try:
        async with running_backbone(postgres, nats_server.url, "finance", consumers=[stuck]) as rb:
            async with running_payments(postgres, nats_server.url) as payments:
                event_id = await confirm_payment(payments.databases, tenant, amount="12.34")

            async def found():
                return await rb.backbone.dead_letters.list(tenant=tenant) or None

            [letter] = await eventually(found, what="the unanswered message's dead letter")
            never.set()
    finally:
        nc = await nats.connect(nats_server.url)
        with contextlib.suppress(Exception):
            await nc.jetstream().delete_consumer(EventSettings().events_stream, "finance-stuck")
        await nc.close()
    assert letter.consumer == "finance-stuck"
    assert letter.attempts == 3  # events_max_deliver in these tests
    assert "no answer after 3 deliveries" in letter.error
    assert letter.event is not None
    assert letter.event["id"] == str(event_id)
    assert incomes(postgres, tenant) == []
