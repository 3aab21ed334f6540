"""Forgotten passwords: the same answer for every login, a sealed one-time link in the
``PasswordResetRequested`` event, and a new password that ends every session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from mosaico_shared.contracts.identity import PasswordResetRequested
from mosaico_shared.events.sealing import Sealer
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.identity import identity_process
from tests.fixtures.polling import eventually
from tests.fixtures.tenants import EVENT_SEALING_KEYS
from tests.services.identity.test_events import _stream_bodies

RESET = "/identity/v1/auth/password-reset"
CONFIRM = f"{RESET}/confirm"


def _db(postgres, tenant) -> psycopg.Connection:
    return psycopg.connect(postgres.dsn(database_name("identity", tenant.slug)), autocommit=True)


def reset_events(postgres, tenant) -> list[PasswordResetRequested]:
    with _db(postgres, tenant) as db:
        rows = db.execute(
            "SELECT payload FROM outbox WHERE type = 'PasswordResetRequested' ORDER BY created_at"
        ).fetchall()
    return [PasswordResetRequested.model_validate(payload) for (payload,) in rows]


def reset_token(postgres, tenant) -> str:
    """The token of the tenant's latest reset e-mail, opened as notifications opens it."""
    return Sealer([EVENT_SEALING_KEYS]).open(reset_events(postgres, tenant)[-1].sealed_token)


def ask(identity, tenant, login):
    return identity.post(RESET, json={"tenant": tenant.slug, "login": login})


def test_known_and_unknown_logins_get_the_same_answer_and_only_a_user_gets_an_e_mail(
    make_tenant, identity, postgres
):
    tenant = make_tenant()
    answers = [
        ask(identity, tenant, login)
        for login in (tenant.admin_email, "ninguem@example.com.br", "529.982.247-25")
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.text for a in answers}) == 1
    unknown_tenant = identity.post(RESET, json={"tenant": "no-such-tenant", "login": "a@b.com.br"})
    assert (unknown_tenant.status_code, unknown_tenant.text) == (202, answers[0].text)
    [event] = reset_events(postgres, tenant)
    assert event.email == tenant.admin_email
    assert event.full_name == "Admin da Silva"
    assert event.expires_at - datetime.now(UTC) <= timedelta(minutes=30)
    assert type(event).schema_version == 2
    with _db(postgres, tenant) as db:
        [(subject,)] = db.execute(
            "SELECT subject FROM outbox WHERE type = 'PasswordResetRequested'"
        ).fetchall()
    assert subject == f"mosaico.{tenant.slug}.identity.password_reset_requested"


def test_a_reset_by_cpf_sets_the_password_once_and_ends_every_session(
    make_tenant, identity, postgres
):
    tenant = make_tenant()
    before = tenant.login()
    assert ask(identity, tenant, tenant.admin_cpf).status_code == 202
    token = reset_token(postgres, tenant)

    done = identity.post(CONFIRM, json={"token": token, "new_password": "nova-senha-2026"})
    assert done.status_code == 204, done.text
    # The old password is gone, the new one works.
    old = identity.post(
        "/identity/v1/auth/login",
        json={"tenant": tenant.slug, "login": tenant.admin_cpf, "password": tenant.admin_password},
    )
    assert old.status_code == 401
    tenant.login(password="nova-senha-2026")
    # Earlier sessions are over: refresh token revoked, access token refused.
    refreshed = identity.post(
        "/identity/v1/auth/refresh", json={"refresh_token": before["refresh_token"]}
    )
    assert refreshed.status_code == 401
    me = identity.get(
        "/identity/v1/me", headers={"Authorization": f"Bearer {before['access_token']}"}
    )
    assert me.status_code == 401, me.text
    # Single use.
    again = identity.post(CONFIRM, json={"token": token, "new_password": "outra-senha-2026"})
    assert again.status_code == 401
    assert again.headers["content-type"] == "application/problem+json"
    tenant.login(password="nova-senha-2026")
    with _db(postgres, tenant) as db:
        kinds = [k for (k,) in db.execute("SELECT type FROM outbox ORDER BY created_at")]
    assert kinds == ["PasswordResetRequested", "PasswordChanged"]


def test_an_expired_or_replaced_link_is_refused(make_tenant, identity, postgres):
    tenant = make_tenant()
    ask(identity, tenant, tenant.admin_email)
    first = reset_token(postgres, tenant)
    ask(identity, tenant, tenant.admin_email)
    second = reset_token(postgres, tenant)
    assert first != second
    replaced = identity.post(CONFIRM, json={"token": first, "new_password": "nova-senha-2026"})
    assert replaced.status_code == 401
    with _db(postgres, tenant) as db:
        db.execute("UPDATE password_resets SET expires_at = now() - interval '1 second'")
    expired = identity.post(CONFIRM, json={"token": second, "new_password": "nova-senha-2026"})
    assert expired.status_code == 401
    tenant.login()  # the password did not change


def test_a_forged_or_malformed_link_is_refused_with_a_problem(make_tenant, identity, postgres):
    tenant = make_tenant()
    ask(identity, tenant, tenant.admin_email)
    slug, token_id, _ = reset_token(postgres, tenant).split(".")
    for token in (f"{slug}.{token_id}.forged-secret", "not-a-token-at-all", f"nope.{token_id}.x"):
        refused = identity.post(CONFIRM, json={"token": token, "new_password": "nova-senha-2026"})
        assert refused.status_code == 401, (token, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    for body in (
        {"token": f"{slug}.{token_id}.x" * 2, "new_password": "curta"},
        {"token": "x" * 50},
        {"tenant": tenant.slug, "login": "ab"},
    ):
        path = RESET if "tenant" in body else CONFIRM
        invalid = identity.post(path, json=body)
        assert invalid.status_code == 422, (body, invalid.text)
        assert invalid.headers["content-type"] == "application/problem+json"
    assert identity.post(RESET, json={"tenant": "Not A Slug", "login": "abc"}).status_code == 422
    tenant.login()


def test_a_deactivated_user_gets_the_same_answer_and_no_link(make_tenant, identity, postgres):
    tenant = make_tenant()
    cpf, _ = tenant.add_user(roles=["user"])
    with _db(postgres, tenant) as db:
        db.execute("UPDATE users SET active = false WHERE cpf = %s", (cpf,))
    assert ask(identity, tenant, cpf).status_code == 202
    assert reset_events(postgres, tenant) == []


def test_reset_requests_are_throttled_alike_for_known_and_unknown_logins(
    make_tenant, identity, postgres
):
    tenant = make_tenant()
    for login in (tenant.admin_email, "ninguem@example.com.br"):
        answers = [ask(identity, tenant, login) for _ in range(4)]
        assert [a.status_code for a in answers] == [202, 202, 202, 429], login
        assert int(answers[-1].headers["Retry-After"]) >= 1
        assert answers[-1].headers["content-type"] == "application/problem+json"
    assert len(reset_events(postgres, tenant)) == 3
    tenant.login()  # resets are counted apart from failed logins


def test_reset_requests_are_throttled_per_client_address_across_tenants(postgres, make_tenant):
    tenants = [make_tenant() for _ in range(3)]
    # A long first wait: on a slow machine the refused request must still fall inside it.
    env = {
        "MOSAICO_ADDRESS_THROTTLE_FREE_FAILURES": "4",
        "MOSAICO_LOGIN_THROTTLE_BASE_DELAY_SECONDS": "600",
    }
    with (
        identity_process(postgres, **env) as base,
        httpx.Client(base_url=base, timeout=10) as http,
    ):

        def from_address(address, tenant):
            return http.post(
                RESET,
                json={"tenant": tenant.slug, "login": tenant.admin_email},
                headers={"X-Forwarded-For": address},
            )

        first = [from_address("203.0.113.7", t).status_code for t in tenants]
        first.append(from_address("203.0.113.7", tenants[0]).status_code)
        assert first == [202, 202, 202, 202]
        assert from_address("203.0.113.7", tenants[1]).status_code == 429
        assert from_address("203.0.113.8", tenants[1]).status_code == 202
        # The address's login attempts are counted apart.
        login = http.post(
            "/identity/v1/auth/login",
            json={"tenant": tenants[2].slug, "login": tenants[2].admin_cpf,
                  "password": tenants[2].admin_password},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )  # fmt: skip
        assert login.status_code == 200, login.text


def test_the_reset_event_reaches_jetstream_with_its_token_sealed(
    make_tenant, identity, postgres, nats_server
):
    tenant = make_tenant()
    ask(identity, tenant, tenant.admin_email)
    token = reset_token(postgres, tenant)
    subject = f"mosaico.{tenant.slug}.identity.password_reset_requested"
    [body] = eventually(
        lambda: _stream_bodies(nats_server.url, subject), what="the reset event in JetStream"
    )
    assert token.rsplit(".", 1)[1].encode() not in body
    assert b'"sealed_token"' in body


def test_changing_a_password_ends_every_session_this_one_too(make_tenant, identity):
    tenant = make_tenant()
    other = tenant.login()
    this = tenant.login()
    changed = identity.post(
        "/identity/v1/me/password",
        headers={"Authorization": f"Bearer {this['access_token']}"},
        json={"current_password": tenant.admin_password, "new_password": "nova-senha-2026"},
    )
    assert changed.status_code == 204, changed.text
    for session in (this, other):
        me = identity.get(
            "/identity/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"}
        )
        assert me.status_code == 401, me.text
        refreshed = identity.post(
            "/identity/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert refreshed.status_code == 401
    fresh = tenant.login(password="nova-senha-2026")
    me = identity.get(
        "/identity/v1/me", headers={"Authorization": f"Bearer {fresh['access_token']}"}
    )
    assert me.status_code == 200, me.text
