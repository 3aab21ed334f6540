"""identity writes what notifications needs to send e-mail into its outbox, in the
transaction of the change: invites, accepted invites, password changes. Tokens travel
sealed: neither the outbox nor JetStream's event log holds one in the clear."""

from __future__ import annotations

import asyncio
import json
import os

import nats
import psycopg
import pytest
from mosaico_identity.main import TENANT_MIGRATIONS
from mosaico_shared.contracts.identity import UserInvited
from mosaico_shared.events.log import read_events
from mosaico_shared.events.sealing import SealBroken, Sealer, new_sealing_key
from mosaico_shared.migrations import upgrade_database
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.polling import eventually
from tests.fixtures.tenants import EVENT_SEALING_KEYS, INTERNAL, valid_cnpj, valid_cpf


def _outbox(postgres, tenant) -> list[tuple]:
    with psycopg.connect(postgres.dsn(database_name("identity", tenant.slug))) as db:
        return db.execute(
            "SELECT type, subject, schema_version, payload FROM outbox ORDER BY created_at"
        ).fetchall()


def test_an_invite_writes_user_invited_with_the_link_token_sealed(make_tenant, identity, postgres):
    tenant = make_tenant()
    issued = identity.post(
        "/identity/v1/invites",
        headers=tenant.auth(),
        json={"email": "Nova@Example.com.br", "full_name": "Nova Pessoa", "roles": ["user"]},
    )
    assert issued.status_code == 201, issued.text
    [(kind, subject, version, payload)] = _outbox(postgres, tenant)
    assert (kind, version) == ("UserInvited", 2)
    assert subject == f"mosaico.{tenant.slug}.identity.user_invited"
    assert payload["invite_id"] == issued.json()["id"]
    assert payload["email"] == "nova@example.com.br"
    assert payload["roles"] == ["user"]
    assert "token" not in payload
    invited = UserInvited.model_validate(payload)
    assert Sealer([EVENT_SEALING_KEYS]).open(invited.sealed_token) == issued.json()["token"]
    with pytest.raises(SealBroken):  # a module without the key cannot open it
        Sealer([new_sealing_key()]).open(invited.sealed_token)


def _stream_bodies(nats_url: str, subject: str) -> list[bytes]:
    """Every message on ``subject`` in the event log, headers and body, as bytes."""

    async def read() -> list[bytes]:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            found = []
            for event in await read_events(js, "MOSAICO_EVENTS", subject=subject):
                message = await js.get_msg("MOSAICO_EVENTS", seq=event.sequence)
                found.append(repr(message.headers).encode() + (message.data or b""))
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def test_no_invite_token_is_in_the_clear_in_the_outbox_or_the_event_log(
    make_tenant, identity, postgres, nats_server
):
    tenant = make_tenant()
    tokens = [
        identity.post(
            "/identity/v1/invites", headers=tenant.auth(), json={"email": f"p{n}@example.com.br"}
        ).json()["token"]
        for n in range(3)
    ]
    secrets = [token.rsplit(".", 1)[1] for token in tokens]
    subject = f"mosaico.{tenant.slug}.identity.user_invited"

    def published() -> list[bytes] | None:
        with psycopg.connect(postgres.dsn(database_name("identity", tenant.slug))) as db:
            waiting = db.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            if waiting.fetchone()[0]:
                return None
        bodies = _stream_bodies(nats_server.url, subject)
        return bodies if len(bodies) == 3 else None

    bodies = eventually(published, what="the invites in JetStream")
    with psycopg.connect(postgres.dsn(database_name("identity", tenant.slug))) as db:
        rows = [row[0] for row in db.execute("SELECT row_to_json(o)::text FROM outbox o")]
    assert len(rows) == 3
    for secret in secrets:
        assert not any(secret in row for row in rows)
        assert not any(secret.encode() in body for body in bodies)
    sealer = Sealer([EVENT_SEALING_KEYS])
    opened = {sealer.open(json.loads(row)["payload"]["sealed_token"]) for row in rows}
    assert opened == set(tokens)


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


def test_a_first_admin_without_a_password_is_invited_with_the_token_sealed(identity, postgres):
    slug = f"fa{os.getpid()}"
    postgres.create_database(database_name("identity", slug), owner="identity")
    registered = identity.put(
        f"/identity/internal/tenants/{slug}",
        headers=INTERNAL,
        json={"display_name": "Primeira LTDA", "cnpj": valid_cnpj(777), "plan": "empresa",
              "limits": {}, "modules": ["identity"], "suspended": False},
    )  # fmt: skip
    assert registered.status_code == 200, registered.text
    onboarded = identity.post(f"/identity/internal/tenants/{slug}/onboard", headers=INTERNAL)
    assert onboarded.status_code == 200, onboarded.text
    admin = identity.put(
        f"/identity/internal/tenants/{slug}/admin",
        headers=INTERNAL,
        json={"full_name": "Primeira Admin", "cpf": valid_cpf(777), "email": f"a@{slug}.com.br"},
    )
    assert admin.status_code == 200, admin.text
    token = admin.json()["invite_token"]
    with psycopg.connect(postgres.dsn(database_name("identity", slug))) as db:
        [(kind, payload)] = db.execute("SELECT type, payload FROM outbox").fetchall()
    assert kind == "UserInvited"
    assert payload["roles"] == ["admin"]
    assert token.rsplit(".", 1)[1] not in json.dumps(payload)
    assert Sealer([EVENT_SEALING_KEYS]).open(payload["sealed_token"]) == token


def test_a_refused_invite_leaves_no_event(make_tenant, identity, postgres):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    refused = identity.post(
        "/identity/v1/invites", headers=tenant.auth(cpf, password), json={"email": "x@y.com.br"}
    )
    assert refused.status_code == 403
    assert _outbox(postgres, tenant) == []


def test_upgrading_drops_the_plain_tokens_earlier_events_left_in_the_outbox(postgres):
    name = database_name("identity", f"plain{os.getpid()}")
    postgres.create_database(name, owner="identity")
    url = postgres.url(name, user="identity")
    assert upgrade_database(TENANT_MIGRATIONS, url, "0004") == "0004"
    with psycopg.connect(postgres.dsn(name), autocommit=True) as db:
        for kind, payload in (
            ("UserInvited", {"email": "a@example.com.br", "token": "acme.abc.plain-secret"}),
            ("PasswordResetRequested", {"email": "b@example.com.br", "token": "acme.d.secret-2"}),
            ("InviteAccepted", {"email": "c@example.com.br"}),
        ):
            db.execute(
                "INSERT INTO outbox (id, subject, type, payload) VALUES"
                " (gen_random_uuid(), 'mosaico.acme.identity.x', %s, %s)",
                (kind, json.dumps(payload)),
            )
    upgrade_database(TENANT_MIGRATIONS, url)
    with psycopg.connect(postgres.dsn(name)) as db:
        payloads = {k: p for k, p in db.execute("SELECT type, payload FROM outbox")}
    assert payloads == {
        "UserInvited": {"email": "a@example.com.br"},
        "PasswordResetRequested": {"email": "b@example.com.br"},
        "InviteAccepted": {"email": "c@example.com.br"},
    }
