"""Bad input is a 4xx problem+json saying what is wrong, never a 500, and nothing is
queued for it."""

from __future__ import annotations

import uuid

import pytest

from tests.services.notifications.factories import (
    MESSAGES,
    PROVIDERS,
    SUBSCRIPTIONS,
    TEMPLATES,
    admin,
    new_address,
    problem,
    welcome_template,
)


@pytest.fixture(scope="module")
def caller(notifications, make_notifications_tenant):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    caller.address = new_address(tenant)
    return caller


def message(caller, **overrides) -> dict:
    return {"channel": "email", "to": caller.address, "template": "boas-vindas",
            "data": {"nome": "Ana", "pedido": 1}, **overrides}  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "status", "where"),
    [
        ({"template": "nao-existe"}, 422, "template"),
        ({"template": "Não Vale"}, 422, "template"),
        ({"to": "nao-e-um-email"}, 422, "to"),
        ({"to": None}, 422, "to"),
        ({"channel": "pombo-correio"}, 422, "channel"),
        ({"channel": "webhook"}, 409, "channel"),
        ({"data": {"nome": "x" * 70_000, "pedido": 1}}, 413, "data"),
        ({"data": {"pedido": 1}}, 422, "subject"),
        ({"data": "texto"}, 422, "data"),
        ({"extra": 1}, 422, "extra"),
        ({"to": "a@b.com.br\x00"}, 422, "NUL"),
    ],
    ids=[
        "unknown-template", "bad-template-key", "invalid-email", "no-recipient",
        "unknown-channel", "webhook-without-endpoint", "oversized-data", "missing-variable",
        "data-not-an-object", "unknown-field", "nul",
    ],
)  # fmt: skip
def test_a_bad_message_request_is_refused_and_queues_nothing(caller, overrides, status, where):
    body = problem(caller.send(message(caller, **overrides)), status)
    assert where in body["detail"] or any(
        where in map(str, e["loc"]) for e in body.get("errors", [])
    )
    assert caller.get(MESSAGES).json()["items"] == []


def test_a_template_that_fails_to_render_names_the_part_and_the_line(caller):
    caller.save_template("so-html", html="<p>{{ nome }}</p>\n<p>{{ 1 / zero }}</p>\n")
    body = problem(caller.send(message(caller, template="so-html", data={
        "nome": "A", "pedido": 1, "zero": 0})), 422)  # fmt: skip
    assert body["errors"][0]["loc"] == ["body", "html"]
    assert body["errors"][0]["line"] == 2
    assert "ZeroDivisionError" in body["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Idempotency-Key": ""},
        {"Idempotency-Key": "com espaco"},
        {"Idempotency-Key": "x" * 256},
    ],
    ids=["missing", "empty", "space", "too-long"],
)
def test_a_message_needs_a_usable_idempotency_key(caller, headers):
    response = caller.post(MESSAGES, json=message(caller), headers=headers)
    body = problem(response, 422)
    assert body["errors"][0]["loc"] == ["header", "idempotency-key"]


def test_a_body_that_is_not_json_is_a_400(caller):
    response = caller.post(
        MESSAGES,
        content=b"{not json",
        headers={"Idempotency-Key": str(uuid.uuid4()), "content-type": "application/json"},
    )
    problem(response, 400)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", TEMPLATES, {"key": "Maiúsculas", **welcome_template()}, 422),
        ("POST", TEMPLATES, {"key": "ok", **welcome_template(subject="")}, 422),
        ("POST", TEMPLATES, {"key": "ok", **welcome_template(html="x" * 100_001)}, 422),
        ("POST", TEMPLATES, {"key": "ok", "subject": "a"}, 422),
        ("POST", TEMPLATES, welcome_template(), 422),
        ("POST", SUBSCRIPTIONS, {"event": "Inventado", "template": "convite"}, 422),
        ("POST", SUBSCRIPTIONS, {"event": "LeadWon", "template": "nao-existe",
                                 "to": "a@b.com.br"}, 422),
        ("POST", SUBSCRIPTIONS, {"event": "LeadWon", "template": "negocio-ganho"}, 422),
        ("POST", SUBSCRIPTIONS, {"event": "LeadWon", "template": "negocio-ganho",
                                 "to": "errado"}, 422),
        ("POST", SUBSCRIPTIONS, {"event": "LeadWon", "template": "negocio-ganho",
                                 "channel": "webhook"}, 409),
        ("POST", SUBSCRIPTIONS, {"event": "LeadWon", "template": "negocio-ganho",
                                 "channel": "sms", "to": "+5511987654321"}, 422),
        ("PUT", f"{PROVIDERS}/email", {"host": "smtp.x.com.br"}, 422),
        ("PUT", f"{PROVIDERS}/email", {"host": "smtp x", "from_address": "a@b.com.br"}, 422),
        ("PUT", f"{PROVIDERS}/email", {"host": "h.com.br", "port": 0,
                                       "from_address": "a@b.com.br"}, 422),
        ("PUT", f"{PROVIDERS}/webhook", {"url": "ftp://x.com.br/h",
                                         "secret": "whsec_" + "A" * 44}, 422),
        ("PUT", f"{PROVIDERS}/webhook", {"url": "https://x.com.br/h"}, 422),
        ("PUT", f"{PROVIDERS}/webhook", {"url": "https://x.com.br/h", "secret": "semprefixo"}, 422),
        ("PUT", f"{PROVIDERS}/webhook", {"url": "https://x.com.br/h", "secret": "whsec_curto"}, 422),
        ("PUT", f"{PROVIDERS}/webhook", {"url": "https://x.com.br/h", "secret": None}, 422),
    ],
    ids=[
        "template-key", "empty-subject", "huge-html", "missing-parts", "no-key",
        "unknown-event", "unknown-template", "lead-won-needs-to", "lead-won-bad-to",
        "webhook-without-endpoint", "unknown-channel", "smtp-no-from", "smtp-bad-host",
        "smtp-port-zero", "webhook-not-http", "webhook-first-time-without-secret",
        "secret-without-prefix", "secret-too-short", "secret-null",
    ],
)  # fmt: skip
def test_bad_settings_are_refused(caller, method, path, body, status):
    problem(caller.request(method, path, json=body), status)


def test_an_unknown_message_is_a_404_and_a_malformed_id_a_422(caller):
    problem(caller.get(f"{MESSAGES}/{uuid.uuid4()}"), 404)
    problem(caller.get(f"{MESSAGES}/nao-e-um-uuid"), 422)
    problem(caller.get(MESSAGES, params={"cursor": "lixo"}), 422)
    problem(caller.get(MESSAGES, params={"status": "perdido"}), 422)
    problem(caller.get(f"{TEMPLATES}/{uuid.uuid4()}"), 404)
    problem(caller.put(f"{SUBSCRIPTIONS}/{uuid.uuid4()}", json={"template": "convite"}), 404)
