"""identity writes what notifications needs to send e-mail into its outbox, in the
transaction of the change: invites, accepted invites, password changes."""

from __future__ import annotations

import psycopg
from mosaico_shared.contracts.identity import UserInvited
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.tenants import valid_cpf


def _outbox(postgres, tenant) -> list[tuple]:
    with psycopg.connect(postgres.dsn(database_name("identity", tenant.slug))) as db:
        return db.execute(
            "SELECT type, subject, schema_version, payload FROM outbox ORDER BY created_at"
        ).fetchall()


def test_an_invite_writes_user_invited_with_the_link_token(make_tenant, identity, postgres):
    tenant = make_tenant()
    issued = identity.post(
        "/identity/v1/invites",
        headers=tenant.auth(),
        json={"email": "Nova@Example.com.br", "full_name": "Nova Pessoa", "roles": ["user"]},
    )
    assert issued.status_code == 201, issued.text
    [(kind, subject, version, payload)] = _outbox(postgres, tenant)
    assert (kind, version) == ("UserInvited", 1)
    assert subject == f"mosaico.{tenant.slug}.identity.user_invited"
    assert payload["invite_id"] == issued.json()["id"]
    assert payload["email"] == "nova@example.com.br"
    assert payload["roles"] == ["user"]
    assert payload["token"] == issued.json()["token"]
    invited = UserInvited.model_validate(payload)
    assert issued.json()["token"] not in repr(invited)  # a log line never shows it


def test_accepting_an_invite_and_changing_a_password_are_events_too(
    make_tenant, identity, postgres
):
    tenant = make_tenant()
    token = identity.post(
        "/identity/v1/invites", headers=tenant.auth(), json={"email": "ana@example.com.br"}
    ).json()["token"]
    accepted = identity.post(
        "/identity/v1/invites/accept",
        json={
            "token": token,
            "full_name": "Ana",
            "cpf": valid_cpf(4242),
            "password": "ana-password-1",
        },
    )
    assert accepted.status_code == 201, accepted.text
    changed = identity.post(
        "/identity/v1/me/password",
        headers=tenant.auth("ana@example.com.br", "ana-password-1"),
        json={"current_password": "ana-password-1", "new_password": "ana-password-2"},
    )
    assert changed.status_code == 204, changed.text
    types = [(kind, payload.get("email")) for kind, _, _, payload in _outbox(postgres, tenant)]
    assert types == [
        ("UserInvited", "ana@example.com.br"),
        ("InviteAccepted", "ana@example.com.br"),
        ("PasswordChanged", "ana@example.com.br"),
    ]


def test_a_refused_invite_leaves_no_event(make_tenant, identity, postgres):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    refused = identity.post(
        "/identity/v1/invites", headers=tenant.auth(cpf, password), json={"email": "x@y.com.br"}
    )
    assert refused.status_code == 403
    assert _outbox(postgres, tenant) == []
