"""The envelope and the contracts: one definition for producer and consumer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mosaico_shared.contracts.catalog import CONTRACT_EVENTS
from mosaico_shared.contracts.crm import LeadLost, LeadWon
from mosaico_shared.contracts.events import redact
from mosaico_shared.contracts.identity import UserInvited
from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.events.envelope import Envelope, new_envelope, subject_of
from pydantic import ValidationError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _invited() -> UserInvited:
    return UserInvited(
        invite_id=uuid.uuid4(), email="ana@example.com.br", full_name="Ana", roles=["user"],
        invited_by=None, expires_at=NOW, token="acme.secret-part",
    )  # fmt: skip


def test_subjects_name_tenant_module_and_event():
    assert subject_of(LeadWon, tenant="acme") == "mosaico.acme.crm.lead_won"
    assert subject_of(LeadLost) == "mosaico.*.crm.lead_lost"
    assert subject_of(PaymentSucceeded) == "mosaico.*.payments.payment_succeeded"
    envelope = new_envelope("acme-2", _invited(), occurred_at=NOW)
    assert envelope.subject == "mosaico.acme-2.identity.user_invited"
    assert (envelope.module, envelope.type, envelope.schema_version) == (
        "identity",
        "UserInvited",
        1,
    )


def test_an_envelope_travels_and_opens_as_its_contract():
    paid = PaymentSucceeded(payment_id="pay_1", amount=Decimal("249.90"), method="pix", paid_at=NOW)
    envelope = new_envelope("acme", paid, occurred_at=NOW)
    back = Envelope.decode(envelope.encode())
    assert back == envelope
    event = back.open(PaymentSucceeded)
    assert event.payload.amount == Decimal("249.90")
    assert event.payload == paid
    assert envelope.headers()["Nats-Msg-Id"] == str(envelope.id)


def test_a_consumer_reads_fields_it_does_not_know_yet_without_failing():
    payload = {"payment_id": "pay_1", "amount": "1.00", "method": "pix",
               "paid_at": NOW.isoformat(), "installments": 3}  # fmt: skip
    assert PaymentSucceeded.model_validate(payload).amount == Decimal("1.00")


@pytest.mark.parametrize("amount", ["0", "-1.00", "0.001", 1.5e20])
def test_money_in_a_contract_is_positive_with_two_places(amount):
    with pytest.raises(ValidationError):
        PaymentSucceeded(payment_id="pay_1", amount=amount, method="pix", paid_at=NOW)


def test_a_secret_travels_in_the_event_but_never_in_a_repr_or_a_shown_dead_letter():
    invited = _invited()
    assert "secret-part" not in repr(invited)
    assert "secret-part" not in str(invited)
    payload = new_envelope("acme", invited, occurred_at=NOW).payload
    assert payload["token"] == "acme.secret-part"
    assert UserInvited.secret_fields() == {"token"}
    shown = redact(payload, CONTRACT_EVENTS["UserInvited"])
    assert shown["token"] == "**********"
    assert shown["email"] == "ana@example.com.br"


def test_an_envelope_that_is_not_one_is_refused():
    for body in (b"{}", b"not json", b'{"id": "x", "type": "T", "tenant": "Bad Tenant"}'):
        with pytest.raises(ValidationError):
            Envelope.decode(body)
