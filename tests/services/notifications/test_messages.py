"""Messages sent on request: e-mail reaches a real SMTP server, once per
``Idempotency-Key``, with a delivery log; failures are retried with backoff, then fail
for good."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.fixtures.polling import eventually
from tests.services.notifications.factories import (
    MESSAGES,
    admin,
    member,
    new_address,
    notifications_database,
    problem,
)


def email(to: str, **overrides) -> dict:
    return {
        "channel": "email",
        "to": to,
        "template": "boas-vindas",
        "data": {"nome": "Carla", "pedido": "A-17"},
        **overrides,
    }


def test_an_email_reaches_the_smtp_server_rendered_in_both_parts(
    notifications, make_notifications_tenant, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    to = new_address(tenant)
    queued = caller.send_ok(email(to))
    assert queued["status"] == "queued"
    assert queued["subject"] == "Bem-vindo(a), Carla!"
    sent = caller.settled(queued["id"])
    assert sent["attempts"] == 1
    assert [e["status"] for e in sent["log"]] == ["queued", "sending", "sent"]
    [mail] = eventually(lambda: mail_sink.messages_to(to), what="the e-mail")
    message = mail.message
    assert message["Subject"] == "Bem-vindo(a), Carla!"
    assert message["To"] == to
    assert message["From"] == "Mosaico Testes <nao-responda@mosaico.test>"
    assert message["Message-ID"] == f"<{queued['id']}@notifications.mosaico>"
    assert mail.part("plain") == "Olá, Carla!\nSeu pedido A-17 foi recebido.\n"
    assert "<p>Olá, Carla!</p>" in mail.part("html")


def test_a_repeated_key_gets_the_first_answer_and_sends_nothing_more(
    notifications, make_notifications_tenant, mail_sink, postgres
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    to = new_address(tenant)
    key = str(uuid.uuid4())
    first = caller.send(email(to), key)
    assert first.status_code == 202
    assert first.headers["Idempotent-Replayed"] == "false"
    caller.settled(first.json()["id"])
    again = caller.send(email(to), key)
    assert again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the first answer, status "queued" and all
    assert again.headers["Location"] == f"{MESSAGES}/{first.json()['id']}"
    eventually(lambda: mail_sink.messages_to(to), what="the e-mail")
    with notifications_database(postgres, tenant) as db:
        assert db.execute("SELECT count(*) FROM messages").fetchone() == (1,)
    assert len(mail_sink.messages_to(to)) == 1


def test_the_same_key_with_another_request_is_a_422_and_changes_nothing(
    notifications, make_notifications_tenant
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    key = str(uuid.uuid4())
    first = caller.send_ok(email(new_address(tenant)), key)
    body = problem(caller.send(email(new_address(tenant)), key), 422)
    assert body["errors"][0]["loc"] == ["header", "idempotency-key"]
    listed = caller.get(MESSAGES).json()["items"]
    assert [m["id"] for m in listed] == [first["id"]]


def test_concurrent_requests_with_one_key_make_one_message(
    notifications, make_notifications_tenant, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    to = new_address(tenant)
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: caller.send(email(to), key), range(8)))
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["id"] for a in answers}) == 1
    assert sorted(a.headers["Idempotent-Replayed"] for a in answers).count("false") == 1
    caller.settled(answers[0].json()["id"])
    assert len(mail_sink.messages_to(to)) == 1


def test_a_temporary_refusal_is_retried_with_backoff_until_it_is_sent(
    notifications, make_notifications_tenant, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    to = new_address(tenant)
    mail_sink.fail(to, times=2)
    sent = caller.settled(caller.send_ok(email(to))["id"])
    assert sent["attempts"] == 3
    steps = [(e["status"], e["attempt"]) for e in sent["log"]]
    assert steps == [("queued", 0), ("sending", 1), ("retrying", 1), ("sending", 2),
                     ("retrying", 2), ("sending", 3), ("sent", 3)]  # fmt: skip
    assert "451" in sent["log"][2]["error"]
    assert sent["last_error"] is None
    assert len(mail_sink.messages_to(to)) == 1


def test_a_message_that_keeps_failing_fails_for_good_after_its_last_attempt(
    notifications, make_notifications_tenant, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    to = new_address(tenant)
    mail_sink.fail(to, times=10)
    failed = caller.settled(caller.send_ok(email(to))["id"], "failed")
    assert failed["attempts"] == failed["max_attempts"] == 3
    assert "451" in failed["last_error"]
    assert failed["failed_at"] is not None
    assert [e["status"] for e in failed["log"]][-1] == "failed"
    assert mail_sink.messages_to(to) == []


def test_a_permanent_refusal_fails_at_once(notifications, make_notifications_tenant, mail_sink):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    to = new_address(tenant)
    mail_sink.refuse(to)
    failed = caller.settled(caller.send_ok(email(to))["id"], "failed")
    assert failed["attempts"] == 1
    assert "550" in failed["last_error"]


def test_the_rendered_content_is_not_kept_once_the_message_is_sent(
    notifications, make_notifications_tenant, postgres
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    message = caller.settled(caller.send_ok(email(new_address(tenant)))["id"])
    with notifications_database(postgres, tenant) as db:
        row = db.execute(
            "SELECT html, text, data FROM messages WHERE id = %s", (message["id"],)
        ).fetchone()
    assert row == (None, None, None)


def test_the_delivery_log_lists_newest_first_and_filters_by_status(
    notifications, make_notifications_tenant, mail_sink
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    refused = new_address(tenant)
    mail_sink.refuse(refused)
    ids = [caller.send_ok(email(new_address(tenant)))["id"] for _ in range(3)]
    bad = caller.send_ok(email(refused))["id"]
    caller.settled(bad, "failed")
    for message_id in ids:
        caller.settled(message_id)
    first = caller.get(MESSAGES, params={"limit": 2}).json()
    second = caller.get(MESSAGES, params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [m["id"] for m in first["items"] + second["items"]] == [bad, *reversed(ids)]
    assert second["next_cursor"] is None
    failed = caller.get(MESSAGES, params={"status": "failed"}).json()["items"]
    assert [m["id"] for m in failed] == [bad]


def test_users_read_the_log_and_only_managers_and_admins_send(
    notifications, make_notifications_tenant
):
    tenant = make_notifications_tenant()
    admin(notifications, tenant).save_template("boas-vindas")
    user = member(notifications, tenant, "user")
    manager = member(notifications, tenant, "manager")
    problem(user.send(email(new_address(tenant))), 403)
    sent = manager.send_ok(email(new_address(tenant)))
    assert user.message(sent["id"])["id"] == sent["id"]


def test_a_tenant_sees_only_its_own_messages(notifications, make_notifications_tenant):
    one, other = make_notifications_tenant(), make_notifications_tenant()
    caller = admin(notifications, one)
    caller.save_template("boas-vindas")
    sent = caller.send_ok(email(new_address(one)))
    stranger = admin(notifications, other)
    problem(stranger.get(f"{MESSAGES}/{sent['id']}"), 404)
    assert stranger.get(MESSAGES).json()["items"] == []
