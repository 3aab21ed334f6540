"""Templates: Portuguese defaults at onboarding, the tenant's own, previews, and a
syntax error named by part and line."""

from __future__ import annotations

import pytest

from tests.services.notifications.factories import (
    TEMPLATES,
    admin,
    member,
    problem,
    welcome_template,
)


def test_onboarding_gives_every_tenant_the_portuguese_defaults(
    notifications, make_notifications_tenant
):
    caller = admin(notifications, make_notifications_tenant())
    templates = {t["key"]: t for t in caller.get(TEMPLATES).json()}
    assert set(templates) == {"aviso", "convite", "redefinicao-senha", "negocio-ganho"}
    assert "convite" in templates["convite"]["html"].lower()
    assert "{{ link }}" in templates["redefinicao-senha"]["text"]
    assert templates["negocio-ganho"]["subject"] == "Negócio ganho: {{ valor }}"


def test_onboarding_again_keeps_what_the_tenant_edited_and_restores_what_it_deleted(
    notifications, make_notifications_tenant, internal_headers
):
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("convite", subject="Convite da casa, {{ nome }}")
    lead_won = caller.templates()["negocio-ganho"]["id"]
    assert caller.delete(f"{TEMPLATES}/{lead_won}").status_code == 204
    again = notifications.post(
        f"/notifications/internal/tenants/{tenant.slug}/onboard", headers=internal_headers
    )
    assert again.status_code == 200, again.text
    templates = {t["key"]: t for t in caller.get(TEMPLATES).json()}
    assert templates["convite"]["subject"] == "Convite da casa, {{ nome }}"
    assert "negocio-ganho" in templates


def test_a_template_is_created_replaced_and_deleted(notifications, make_notifications_tenant):
    caller = admin(notifications, make_notifications_tenant())
    created = caller.post(TEMPLATES, json={"key": "boas-vindas", **welcome_template()})
    assert created.status_code == 201, created.text
    url = f"{TEMPLATES}/{created.json()['id']}"
    replaced = caller.put(url, json=welcome_template(subject="Oi!"))
    assert replaced.status_code == 200
    assert caller.get(url).json()["subject"] == "Oi!"
    assert replaced.json()["key"] == "boas-vindas"
    assert replaced.json()["created_at"] == created.json()["created_at"]
    again = caller.post(TEMPLATES, json={"key": "boas-vindas", **welcome_template()})
    assert problem(again, 409)["detail"].startswith("key:")
    assert caller.delete(url).status_code == 204
    problem(caller.get(url), 404)


def test_a_preview_renders_html_escaped_and_text_as_is(notifications, make_notifications_tenant):
    caller = admin(notifications, make_notifications_tenant())
    template = caller.save_template("boas-vindas")
    preview = caller.post(
        f"{TEMPLATES}/{template['id']}/preview",
        json={"data": {"nome": "Zé <b>&</b>", "pedido": 42}},
    )
    assert preview.status_code == 200, preview.text
    rendered = preview.json()
    assert rendered["subject"] == "Bem-vindo(a), Zé <b>&</b>!"
    assert "<p>Olá, Zé &lt;b&gt;&amp;&lt;/b&gt;!</p>" in rendered["html"]
    assert rendered["text"] == "Olá, Zé <b>&</b>!\nSeu pedido 42 foi recebido.\n"


def test_a_draft_previews_before_it_is_saved(notifications, make_notifications_tenant):
    caller = admin(notifications, make_notifications_tenant())
    draft = {**welcome_template(), "data": {"nome": "Ana", "pedido": "A-1"}}
    preview = caller.post(f"{TEMPLATES}/preview", json=draft)
    assert preview.status_code == 200, preview.text
    assert preview.json()["subject"] == "Bem-vindo(a), Ana!"
    assert "boas-vindas" not in caller.templates()


def test_a_syntax_error_is_a_422_naming_the_part_and_the_line(
    notifications, make_notifications_tenant
):
    caller = admin(notifications, make_notifications_tenant())
    broken = {"key": "quebrado", **welcome_template(html="<p>Olá</p>\n<p>{{ nome }</p>\n")}
    body = problem(caller.post(TEMPLATES, json=broken), 422)
    assert "html, line 2" in body["detail"]
    [error] = body["errors"]
    assert error["loc"] == ["body", "html"]
    assert error["line"] == 2
    assert "quebrado" not in caller.templates()
    unclosed = {**welcome_template(text="a\nb\n{% if nome %}\nsem fim\n"),
                "data": {"nome": "Ana", "pedido": 1}}  # fmt: skip
    [error] = problem(caller.post(f"{TEMPLATES}/preview", json=unclosed), 422)["errors"]
    assert error["loc"] == ["body", "text"]
    assert error["line"] == 3  # where the block that is never closed opens


def test_a_variable_the_data_lacks_is_a_422_naming_it(notifications, make_notifications_tenant):
    caller = admin(notifications, make_notifications_tenant())
    template = caller.save_template("boas-vindas")
    body = problem(caller.post(f"{TEMPLATES}/{template['id']}/preview", json={"data": {}}), 422)
    assert "'nome' is undefined" in body["detail"]
    assert body["errors"][0]["line"] == 1


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 99999999 }}",
        "{{ range(10000000) | list }}",
    ],
    ids=["mro", "globals", "nested-loops", "repeat", "power", "huge-range"],
)
def test_the_sandbox_refuses_what_a_message_does_not_need(
    notifications, make_notifications_tenant, source
):
    caller = admin(notifications, make_notifications_tenant())
    draft = {**welcome_template(text=source), "data": {"nome": "A", "pedido": 1}}
    body = problem(caller.post(f"{TEMPLATES}/preview", json=draft), 422)
    assert body["errors"][0]["loc"] == ["body", "text"]


def test_a_template_an_enabled_subscription_sends_cannot_be_deleted(
    notifications, make_notifications_tenant
):
    caller = admin(notifications, make_notifications_tenant())
    body = problem(caller.delete(f"{TEMPLATES}/{caller.templates()['convite']['id']}"), 409)
    assert body["subscriptions"] == ["UserInvited"]


def test_users_read_templates_and_only_managers_and_admins_edit_them(
    notifications, make_notifications_tenant
):
    tenant = make_notifications_tenant()
    user = member(notifications, tenant, "user")
    manager = member(notifications, tenant, "manager")
    assert user.get(TEMPLATES).status_code == 200
    problem(user.post(TEMPLATES, json={"key": "x", **welcome_template()}), 403)
    assert manager.post(TEMPLATES, json={"key": "x", **welcome_template()}).status_code == 201
    problem(notifications.get(TEMPLATES), 401)
