"""Messages sent on events, through the real backbone: identity's invites and password
resets (published by the real identity to a real NATS) become e-mails with their link,
the CRM's won deals a message to whoever the tenant subscribed; one message per event
and subscription, however often the event is delivered."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import nats
import pytest
from fastapi.testclient import TestClient
from mosaico_crm.main import create_app as create_crm
from mosaico_crm.settings import CrmSettings
from mosaico_shared.contracts.crm import LeadWon
from mosaico_shared.events.envelope import new_envelope

from tests.fixtures.callers import internal_auth_settings
from tests.fixtures.polling import eventually
from tests.fixtures.tenants import make_tenant_factory
from tests.fixtures.webhooks import new_secret
from tests.services.notifications.factories import (
    MESSAGES,
    TEMPLATES,
    admin,
    new_address,
    notifications_database,
)


@pytest.fixture(scope="module")
def crm(postgres, identity_server, nats_server) -> Iterator[TestClient]:
    """The CRM in this process, publishing its events to the session's NATS."""
    settings = CrmSettings(
        database_url=postgres.module_url("crm"),
        **internal_auth_settings("crm"),
        identity_url=identity_server,
        nats_url=nats_server.url,
        tenant_status_ttl_seconds=0.01,
    )
    with TestClient(create_crm(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def make_sales_tenant(postgres, identity_http_client, notifications, crm):
    """A tenant with the CRM and notifications."""
    factory = make_tenant_factory(
        postgres, identity_http_client, module_clients={"notifications": notifications, "crm": crm}
    )
    return lambda **kw: factory(modules=kw.pop("modules", ("crm", "notifications")), **kw)


def link_in(text: str) -> dict[str, str]:
    [link] = re.findall(r"https://app\.mosaico\.test/\S+", text)
    query = parse_qs(urlsplit(link).query)
    return {key: values[0] for key, values in query.items()} | {"path": urlsplit(link).path}


def test_an_invite_is_mailed_to_the_invitee_with_the_link_that_accepts_it(
    notifications, make_notifications_tenant, identity_http_client, mail_sink, internal_headers
):
    tenant = make_notifications_tenant()
    to = new_address(tenant, "convidada")
    issued = identity_http_client.post(
        "/identity/v1/invites",
        headers=tenant.auth(),
        json={"email": to, "full_name": "Joana Prado", "roles": ["user"]},
    )
    assert issued.status_code == 201, issued.text
    [mail] = eventually(lambda: mail_sink.messages_to(to), what="the invite's e-mail")
    display_name = identity_http_client.get(
        f"/identity/internal/tenants/{tenant.slug}", headers=internal_headers
    ).json()["display_name"]
    assert mail.message["Subject"] == f"Você foi convidado(a) para a {display_name} no Mosaico"
    text = mail.part("plain")
    assert text.startswith("Olá, Joana Prado!")
    link = link_in(text)
    assert link == {"path": "/convite", "tenant": tenant.slug, "token": issued.json()["token"]}
    assert "(horário de Brasília)" in text
    [message] = admin(notifications, tenant).get(MESSAGES).json()["items"]
    assert (message["source"], message["template"], message["to"]) == ("event", "convite", to)
    accepted = identity_http_client.post(
        "/identity/v1/invites/accept",
        json={"token": link["token"], "full_name": "Joana Prado", "cpf": "52998224725",
              "password": "joana-password-1"},
    )  # fmt: skip
    assert accepted.status_code == 201, accepted.text


def test_a_password_reset_is_mailed_and_its_link_sets_the_new_password(
    notifications, make_notifications_tenant, identity_http_client, mail_sink
):
    tenant = make_notifications_tenant()
    asked = identity_http_client.post(
        "/identity/v1/auth/password-reset",
        json={"tenant": tenant.slug, "login": tenant.admin_email},
    )
    assert asked.status_code == 202, asked.text
    [mail] = eventually(lambda: mail_sink.messages_to(tenant.admin_email), what="the reset e-mail")
    assert mail.message["Subject"] == "Redefinição de senha no Mosaico"
    link = link_in(mail.part("plain"))
    assert link["path"] == "/redefinir-senha"
    confirmed = identity_http_client.post(
        "/identity/v1/auth/password-reset/confirm",
        json={"token": link["token"], "new_password": "nova-senha-segura-1"},
    )
    assert confirmed.status_code == 204, confirmed.text
    assert tenant.login(tenant.admin_email, "nova-senha-segura-1")["access_token"]


def test_the_token_is_nowhere_in_the_message_kept_once_it_is_sent(
    notifications, make_notifications_tenant, identity_http_client, mail_sink, postgres
):
    tenant = make_notifications_tenant()
    to = new_address(tenant)
    token = identity_http_client.post(
        "/identity/v1/invites", headers=tenant.auth(), json={"email": to}
    ).json()["token"]
    eventually(lambda: mail_sink.messages_to(to), what="the invite's e-mail")
    caller = admin(notifications, tenant)
    [message] = caller.get(MESSAGES).json()["items"]
    caller.settled(message["id"])
    with notifications_database(postgres, tenant) as db:
        rows = db.execute("SELECT m::text FROM messages m").fetchall()
        log = db.execute("SELECT l::text FROM delivery_log l").fetchall()
    assert token not in str(rows) + str(log)


def test_a_template_that_no_longer_renders_leaves_a_failed_message_saying_why(
    notifications, make_notifications_tenant, identity_http_client, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    invite = caller.templates()["convite"]
    caller.put(f"{TEMPLATES}/{invite['id']}", json={
        "subject": "Convite", "html": "<p>{{ apelido }}</p>", "text": "{{ apelido }}"})  # fmt: skip
    to = new_address(tenant)
    identity_http_client.post("/identity/v1/invites", headers=tenant.auth(), json={"email": to})
    [failed] = eventually(
        lambda: caller.get(MESSAGES, params={"status": "failed"}).json()["items"],
        what="the failed message",
    )
    assert "'apelido' is undefined" in failed["last_error"]
    assert failed["attempts"] == 0
    assert mail_sink.messages_to(to) == []


def win(crm_client: TestClient, headers: dict[str, str], value: str) -> str:
    lead = crm_client.post(
        "/crm/v1/leads",
        headers=headers,
        json={"name": "Padaria Pão Quente", "estimated_value": value},
    )
    assert lead.status_code == 201, lead.text
    won = crm_client.post(
        f"/crm/v1/leads/{lead.json()['id']}/win", headers=headers, json={"reason": "Contrato anual"}
    )
    assert won.status_code == 200, won.text
    return str(lead.json()["id"])


def test_a_won_deal_is_sent_to_each_subscriber_and_to_nobody_without_one(
    notifications, crm, make_sales_tenant, mail_sink, webhook_receiver, postgres
):
    tenant, quiet = make_sales_tenant(), make_sales_tenant()
    caller = admin(notifications, tenant)
    sales = new_address(tenant, "vendas")
    caller.subscribe("LeadWon", template="negocio-ganho", to=sales)
    secret = new_secret()
    url = webhook_receiver.endpoint(secret)
    saved = caller.put("/notifications/v1/providers/webhook", json={"url": url, "secret": secret})
    assert saved.status_code == 200, saved.text
    caller.subscribe("LeadWon", template="negocio-ganho", channel="webhook", to="+5511987654321")
    quiet_lead = win(crm, quiet.auth(), "900.00")
    lead = win(crm, tenant.auth(), "15000.00")
    [mail] = eventually(lambda: mail_sink.messages_to(sales), what="the won deal's e-mail")
    assert mail.message["Subject"] == "Negócio ganho: R$ 15.000,00"
    assert f"Lead: {lead}" in mail.part("plain")
    assert "Motivo: Contrato anual" in mail.part("plain")
    [delivery] = eventually(lambda: webhook_receiver.deliveries(url), what="the webhook")
    assert delivery.problem is None
    assert delivery.json["data"]["to"] == "+5511987654321"
    assert delivery.json["data"]["data"]["valor"] == "R$ 15.000,00"
    # The quiet tenant's event was consumed (recorded) and sent nothing.
    with notifications_database(postgres, quiet) as db:
        eventually(
            lambda: db.execute("SELECT count(*) FROM consumed_events").fetchone()[0] >= 1,
            what="the quiet tenant's LeadWon to be consumed",
        )
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (0,)
    assert quiet_lead


def test_an_event_delivered_twice_sends_once(
    notifications, make_notifications_tenant, nats_server, mail_sink, postgres
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    sales = new_address(tenant, "vendas")
    caller.subscribe("LeadWon", template="negocio-ganho", to=sales)
    envelope = new_envelope(
        tenant.slug,
        LeadWon(lead_id=uuid.uuid4(), stage_id=uuid.uuid4(), estimated_value=Decimal("10.00"),
                reason=None, closed_by=uuid.uuid4(), closed_at=datetime.now(UTC)),
        occurred_at=datetime.now(UTC),
    )  # fmt: skip

    async def publish_twice() -> None:
        connection = await nats.connect(nats_server.url)
        try:
            js = connection.jetstream()
            for attempt in range(2):  # as if the relay lost its mark and published again
                # after the duplicate window: another message id, the same event
                headers = {**envelope.headers(), "Nats-Msg-Id": f"{envelope.id}-{attempt}"}
                await js.publish(envelope.subject, envelope.encode(), headers=headers)
        finally:
            await connection.close()

    asyncio.run(publish_twice())
    [message] = eventually(lambda: caller.get(MESSAGES).json()["items"], what="the message")
    caller.settled(message["id"])
    with notifications_database(postgres, tenant) as db:
        eventually(
            lambda: db.execute("SELECT count(*) FROM consumed_events").fetchone() == (1,),
            what="the event recorded",
        )
    assert len(caller.get(MESSAGES).json()["items"]) == 1
    assert len(mail_sink.messages_to(sales)) == 1
