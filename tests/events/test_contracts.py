"""The envelope and the contracts: one definition for producer and consumer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from mosaico_shared.contracts.catalog import CONTRACT_EVENTS
from mosaico_shared.contracts.crm import LeadLost, LeadWon
from mosaico_shared.contracts.events import redact
from mosaico_shared.contracts.identity import PasswordResetRequested, UserInvited
from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.events.envelope import Envelope, new_envelope, subject_of
from mosaico_shared.events.sealing import SealBroken, Sealer, SealingSettings, new_sealing_key
from pydantic import SecretStr, ValidationError

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SEALER = Sealer([new_sealing_key()])


def _invited() -> UserInvited:
    return UserInvited(
        invite_id=uuid.uuid4(), email="ana@example.com.br", full_name="Ana", roles=["user"],
        invited_by=None, expires_at=NOW, sealed_token=SEALER.seal("acme.secret-part"),
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
        2,
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


def test_a_secret_travels_sealed_and_is_masked_in_a_shown_dead_letter():
    invited = _invited()
    payload = new_envelope("acme", invited, occurred_at=NOW).payload
    assert "secret-part" not in json.dumps(payload)
    assert SEALER.open(payload["sealed_token"]) == "acme.secret-part"
    assert UserInvited.sealed_fields() == {"sealed_token"}
    assert PasswordResetRequested.sealed_fields() == {"sealed_token"}
    shown = redact(payload, CONTRACT_EVENTS["UserInvited"])
    assert shown["sealed_token"] == "**********"
    assert shown["email"] == "ana@example.com.br"


def test_no_contract_carries_a_secret_in_the_clear():
    for contract in CONTRACT_EVENTS.values():
        for name, field in contract.model_fields.items():
            assert field.annotation is not SecretStr, (contract, name)
            assert "token" not in name or name in contract.sealed_fields(), (contract, name)


def test_a_sealed_secret_opens_with_any_key_of_a_rotation_and_no_other():
    old, new = new_sealing_key(), new_sealing_key()
    sealed_before = Sealer([old]).seal("acme.abc.def")
    rotated = Sealer([new, old])
    assert rotated.open(sealed_before) == "acme.abc.def"
    sealed_after = rotated.seal("acme.abc.ghi")
    assert Sealer([new]).open(sealed_after) == "acme.abc.ghi"
    with pytest.raises(SealBroken):
        Sealer([old]).open(sealed_after)
    assert Sealer([new]).open(rotated.reseal(sealed_before)) == "acme.abc.def"
    tampered = sealed_after[:-4] + ("AAAA" if not sealed_after.endswith("AAAA") else "BBBB")
    with pytest.raises(SealBroken):
        rotated.open(tampered)
    with pytest.raises(SealBroken):
        rotated.open("not sealed at all")


def test_sealing_keys_come_from_one_setting_and_short_ones_are_refused(monkeypatch):
    first, second = new_sealing_key(), new_sealing_key()
    monkeypatch.setenv("MOSAICO_EVENT_SEALING_KEYS", f" {first} , {second} ")
    sealer = SealingSettings().sealer()
    assert Sealer([first]).open(sealer.seal("x")) == "x"
    monkeypatch.setenv("MOSAICO_EVENT_SEALING_KEYS", f"{first},too-short")
    with pytest.raises(ValidationError) as refused:
        SealingSettings()
    assert "too-short" not in str(refused.value)
    assert first not in str(refused.value)
    monkeypatch.delenv("MOSAICO_EVENT_SEALING_KEYS")
    own = SealingSettings().sealer()  # unset: a key of the process's own
    with pytest.raises(SealBroken):
        Sealer([first]).open(own.seal("x"))


def test_an_envelope_that_is_not_one_is_refused():
    for body in (b"{}", b"not json", b'{"id": "x", "type": "T", "tenant": "Bad Tenant"}'):
        with pytest.raises(ValidationError):
            Envelope.decode(body)
