"""Provider settings: a tenant's own SMTP server (with its password) and its webhook
endpoint, signed the Standard Webhooks way and checked by a real receiver; secrets go
in and never come out, not in answers, not in the database in the clear, not in logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from mosaico_devstack.mail import MailSink
from mosaico_notifications.channels import DeliveryFailed, ensure_public_destination
from standardwebhooks import Webhook

from tests.fixtures.polling import eventually
from tests.fixtures.webhooks import TOLERANCE_SECONDS, new_secret, signature_problem
from tests.services.notifications.factories import (
    PROVIDERS,
    admin,
    member,
    new_address,
    notifications_database,
    problem,
)

SMTP_PASSWORD = "senha-do-smtp-da-padaria"


@pytest.fixture(scope="module")
def tenant_smtp() -> Iterator[MailSink]:
    """The tenant's own SMTP server, which demands a login."""
    sink = MailSink(logins={"avisos@padaria.com.br": SMTP_PASSWORD}).start()
    try:
        yield sink
    finally:
        sink.stop()


def email_provider(port: int, **overrides) -> dict:
    return {"host": "127.0.0.1", "port": port, "security": "none",
            "username": "avisos@padaria.com.br", "password": SMTP_PASSWORD,
            "from_address": "avisos@padaria.com.br", "from_name": "Padaria Pão Quente",
            **overrides}  # fmt: skip


def notice(to: str, channel: str = "email") -> dict:
    return {"channel": channel, "to": to, "template": "aviso",
            "data": {"assunto": "Pedido pronto", "mensagem": "Pode buscar o pedido 7."}}  # fmt: skip


def test_a_tenant_sends_through_its_own_smtp_server_with_its_login(
    notifications, make_notifications_tenant, tenant_smtp, mail_sink, postgres, caplog
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    with caplog.at_level(logging.DEBUG):
        saved = caller.put(f"{PROVIDERS}/email", json=email_provider(tenant_smtp.port))
        assert saved.status_code == 200, saved.text
        assert saved.json()["password_set"] is True
        assert "password" not in saved.json()
        to = new_address(tenant)
        caller.settled(caller.send_ok(notice(to))["id"])
    [mail] = tenant_smtp.messages_to(to)
    assert mail.message["From"] == "Padaria Pão Quente <avisos@padaria.com.br>"
    assert mail.message["Subject"] == "Pedido pronto"
    assert mail_sink.messages_to(to) == []  # not through the platform's server
    read = caller.get(PROVIDERS).json()["email"]
    assert read["configured"] is True
    assert read["password_set"] is True
    assert "password" not in read
    with notifications_database(postgres, tenant) as db:
        stored = db.execute("SELECT config::text, secret FROM provider_settings").fetchall()
    assert SMTP_PASSWORD not in str(stored)
    assert SMTP_PASSWORD.encode() not in b"".join(bytes(row[1]) for row in stored)
    assert SMTP_PASSWORD not in caplog.text


def test_leaving_the_password_out_keeps_it_and_null_clears_it(
    notifications, make_notifications_tenant, tenant_smtp
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.put(f"{PROVIDERS}/email", json=email_provider(tenant_smtp.port))
    body = email_provider(tenant_smtp.port, from_name="Padaria Nova")
    body.pop("password")
    kept = caller.put(f"{PROVIDERS}/email", json=body)
    assert kept.json()["password_set"] is True
    assert caller.settled(caller.send_ok(notice(new_address(tenant)))["id"])["attempts"] == 1
    cleared = caller.put(f"{PROVIDERS}/email", json={**body, "password": None})
    assert cleared.json()["password_set"] is False


def test_a_wrong_smtp_password_fails_the_message_saying_so(
    notifications, make_notifications_tenant, tenant_smtp
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.put(f"{PROVIDERS}/email", json=email_provider(tenant_smtp.port, password="errada"))
    failed = caller.settled(caller.send_ok(notice(new_address(tenant)))["id"], "failed")
    assert "535" in failed["last_error"]
    assert "errada" not in str(failed)


def test_forgetting_the_smtp_server_goes_back_to_the_platforms(
    notifications, make_notifications_tenant, tenant_smtp, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.put(f"{PROVIDERS}/email", json=email_provider(tenant_smtp.port))
    assert caller.delete(f"{PROVIDERS}/email").status_code == 204
    problem(caller.delete(f"{PROVIDERS}/email"), 404)
    to = new_address(tenant)
    caller.settled(caller.send_ok(notice(to))["id"])
    assert len(mail_sink.messages_to(to)) == 1


def test_a_webhook_delivery_is_signed_and_verifies_with_the_tenants_secret(
    notifications, make_notifications_tenant, webhook_receiver
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    secret = new_secret()
    url = webhook_receiver.endpoint(secret)
    saved = caller.put(f"{PROVIDERS}/webhook", json={"url": url, "secret": secret})
    assert saved.status_code == 200, saved.text
    assert saved.json() == {**saved.json(), "configured": True, "url": url, "secret_set": True}
    assert secret not in saved.text + caller.get(PROVIDERS).text
    sent = caller.settled(caller.send_ok(notice("+5511987654321", "webhook"))["id"])
    [delivery] = webhook_receiver.deliveries(url)
    assert delivery.problem is None  # the receiver checked the signature itself
    assert delivery.headers["webhook-id"] == sent["id"]
    assert delivery.headers["content-type"] == "application/json"
    body = delivery.json
    assert body["type"] == "notification.message"
    assert body["data"]["to"] == "+5511987654321"
    assert body["data"]["subject"] == "Pedido pronto"
    assert "Pode buscar o pedido 7." in body["data"]["text"]
    assert body["data"]["tenant"] == tenant.slug
    # The reference library agrees, and a stale timestamp is refused by the window.
    assert Webhook(secret).verify(delivery.body, delivery.headers)["data"]["id"] == sent["id"]
    stale = {**delivery.headers,
             "webhook-timestamp": str(int(delivery.headers["webhook-timestamp"]) - TOLERANCE_SECONDS - 60)}  # fmt: skip
    assert signature_problem(secret, stale, delivery.body) == (
        "webhook-timestamp outside the tolerance window"
    )
    assert signature_problem(new_secret(), delivery.headers, delivery.body) == (
        "no matching v1 signature"
    )


def test_a_failing_receiver_is_retried_with_the_same_id_and_a_fresh_signature(
    notifications, make_notifications_tenant, webhook_receiver
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    secret = new_secret()
    url = webhook_receiver.endpoint(secret, answers=[503, 500])
    caller.put(f"{PROVIDERS}/webhook", json={"url": url, "secret": secret})
    sent = caller.settled(caller.send_ok(notice("+5511900000000", "webhook"))["id"])
    deliveries = webhook_receiver.deliveries(url)
    assert [d.status for d in deliveries] == [503, 500, 204]
    assert {d.headers["webhook-id"] for d in deliveries} == {sent["id"]}
    assert all(d.problem is None for d in deliveries)
    assert [e["status"] for e in sent["log"]].count("retrying") == 2


def test_a_receiver_that_refuses_the_signature_fails_the_message_for_good(
    notifications, make_notifications_tenant, webhook_receiver
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    url = webhook_receiver.endpoint(new_secret())  # expects another secret
    caller.put(f"{PROVIDERS}/webhook", json={"url": url, "secret": new_secret()})
    failed = caller.settled(caller.send_ok(notice("+5511911111111", "webhook"))["id"], "failed")
    assert failed["attempts"] == 1
    assert failed["last_error"] == "webhook answered 401"


def test_the_webhook_url_changes_without_resending_the_secret(
    notifications, make_notifications_tenant, webhook_receiver
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    secret = new_secret()
    caller.put(
        f"{PROVIDERS}/webhook", json={"url": webhook_receiver.endpoint(secret), "secret": secret}
    )
    moved = webhook_receiver.endpoint(secret)
    assert caller.put(f"{PROVIDERS}/webhook", json={"url": moved}).json()["secret_set"] is True
    caller.settled(caller.send_ok(notice("+5511922222222", "webhook"))["id"])
    assert len(webhook_receiver.deliveries(moved)) == 1


def test_only_admins_change_providers_and_managers_read_them(
    notifications, make_notifications_tenant, webhook_receiver
):
    tenant = make_notifications_tenant()
    manager = member(notifications, tenant, "manager")
    user = member(notifications, tenant, "user")
    secret = new_secret()
    body = {"url": webhook_receiver.endpoint(secret), "secret": secret}
    problem(manager.put(f"{PROVIDERS}/webhook", json=body), 403)
    assert manager.get(PROVIDERS).status_code == 200
    problem(user.get(PROVIDERS), 403)


@pytest.mark.anyio
async def test_a_destination_on_a_private_address_is_refused_unless_allowed():
    for host in ("127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254"):
        with pytest.raises(DeliveryFailed) as refused:
            await ensure_public_destination(host, 443, allow_private=False)
        assert refused.value.permanent, host
    await ensure_public_destination("127.0.0.1", 443, allow_private=True)


def test_without_a_secrets_key_secrets_are_sealed_with_a_key_of_the_process_alone(
    postgres, identity_server, mail_sink, make_notifications_tenant, notifications
):
    from fastapi.testclient import TestClient
    from mosaico_notifications.main import create_app

    from tests.services.notifications.conftest import notifications_settings

    tenant = make_notifications_tenant()
    settings = notifications_settings(
        postgres, identity_url=identity_server, mail=mail_sink, provider_secrets_key=None
    )
    secret = new_secret()
    with TestClient(create_app(settings), raise_server_exceptions=False) as keyless:
        saved = keyless.put(
            f"{PROVIDERS}/webhook", headers=tenant.auth(),
            json={"url": "https://hooks.example.com.br/x", "secret": secret},
        )  # fmt: skip
        assert saved.status_code == 200, saved.text
    with notifications_database(postgres, tenant) as db:
        [(stored,)] = db.execute("SELECT secret FROM provider_settings").fetchall()
    assert secret.encode() not in bytes(stored)
    # Another process (the session's replica, which has the real key) cannot open it.
    caller = admin(notifications, tenant)
    failed = caller.send_ok(notice("+5511933333333", "webhook"))
    eventually(
        lambda: "provider secret unreadable" in (caller.message(failed["id"])["last_error"] or ""),
        what="the attempt to fail on the secret",
    )
