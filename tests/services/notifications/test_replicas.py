"""Two replicas never send the same message: workers claim rows with ``FOR UPDATE SKIP
LOCKED`` under a lease; a message whose worker died is taken up again once the lease
runs out, and fails for good when that was its last attempt."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_notifications.delivery.service import ABANDONED, claim_due_messages
from mosaico_notifications.main import TENANT_MIGRATIONS, create_app
from mosaico_notifications.messages.service import queue_message
from mosaico_notifications.templates.schemas import RenderedOut
from mosaico_shared.migrations import upgrade_database
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name
from mosaico_shared.tenancy.session import tenant_session_for

from tests.fixtures.callers import internal_auth_env
from tests.fixtures.polling import eventually
from tests.fixtures.tenants import EVENT_SEALING_KEYS
from tests.services.notifications.conftest import PROVIDER_SECRETS_KEY, notifications_settings
from tests.services.notifications.factories import (
    Caller,
    admin,
    new_address,
    notifications_database,
)

#: A module name of these tests' own: the running replicas never scan its databases.
ISOLATED = "notifclaims"
_tenants = itertools.count(1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def second_replica(postgres, identity_server, mail_sink, nats_server) -> Iterator[TestClient]:
    """Another notifications replica on the same databases, worker and consumer running."""
    settings = notifications_settings(
        postgres, identity_url=identity_server, mail=mail_sink, nats_url=nats_server.url
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def test_two_replicas_send_every_message_exactly_once(
    notifications, second_replica, make_notifications_tenant, mail_sink, postgres
):
    tenant = make_notifications_tenant()
    headers = tenant.auth()
    one, two = Caller(notifications, headers), Caller(second_replica, headers)
    one.save_template("boas-vindas")
    addresses = [new_address(tenant) for _ in range(40)]

    def send(pair: tuple[int, str]) -> str:
        n, to = pair
        body = {"channel": "email", "to": to, "template": "boas-vindas",
                "data": {"nome": f"Cliente {n}", "pedido": n}}  # fmt: skip
        return (one if n % 2 else two).send_ok(body)["id"]

    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(send, enumerate(addresses)))
    for message_id in ids:
        one.settled(message_id)
    assert all(len(mail_sink.messages_to(to)) == 1 for to in addresses)
    with notifications_database(postgres, tenant) as db:
        sends = db.execute(
            "SELECT message_id, count(*) FROM delivery_log WHERE status = 'sending' "
            "GROUP BY message_id"
        ).fetchall()
    assert sorted(str(m) for m, _ in sends) == sorted(ids)
    assert {count for _, count in sends} == {1}


def isolated_tenant(postgres) -> tuple[TenantDatabases, str]:
    tenant = f"claims{os.getpid()}-{next(_tenants)}"
    postgres.create_database(database_name(ISOLATED, tenant))
    upgrade_database(
        TENANT_MIGRATIONS, postgres.url(database_name(ISOLATED, tenant), user="mosaico")
    )
    return TenantDatabases(postgres.app_url, ISOLATED), tenant


async def queue(databases: TenantDatabases, tenant: str, count: int) -> None:
    rendered = RenderedOut(subject="Oi", html="<p>Oi</p>", text="Oi")
    async with tenant_session_for(databases, tenant) as session:
        for _ in range(count):
            await queue_message(
                session, tenant=tenant, idempotency_key=f"api:{uuid.uuid4()}", request_hash="0" * 64,
                source="api", channel="email", recipient="a@example.com.br",
                template_key="aviso", rendered=rendered, data={}, max_attempts=3,
            )  # fmt: skip


@pytest.mark.anyio
async def test_a_claim_skips_what_another_worker_holds_and_never_waits_for_it(postgres):
    databases, tenant = isolated_tenant(postgres)
    try:
        await queue(databases, tenant, 10)
        async with tenant_session_for(databases, tenant) as first:
            held = await claim_due_messages(first, tenant=tenant, limit=6, lease_seconds=60)
            # The first worker's transaction is still open: its rows stay locked.
            async with tenant_session_for(databases, tenant) as second:
                taken = await asyncio.wait_for(
                    claim_due_messages(second, tenant=tenant, limit=10, lease_seconds=60),
                    timeout=30,
                )
        assert len(held) == 6
        assert len(taken) == 4
        assert not {m.id for m in held} & {m.id for m in taken}
        async with tenant_session_for(databases, tenant) as third:
            assert await claim_due_messages(third, tenant=tenant, limit=10, lease_seconds=60) == []
    finally:
        await databases.dispose_all()


@pytest.mark.anyio
async def test_a_lease_that_ran_out_is_taken_up_again_and_fails_after_the_last_attempt(postgres):
    databases, tenant = isolated_tenant(postgres)
    try:
        await queue(databases, tenant, 2)
        async with tenant_session_for(databases, tenant) as session:
            first, last = await claim_due_messages(
                session, tenant=tenant, limit=2, lease_seconds=60
            )
        with notifications_database_of(postgres, tenant) as db:
            # The worker holding them died: leases in the past; one had used its attempts.
            db.execute("UPDATE messages SET lease_expires_at = now() - interval '1 second'")
            db.execute("UPDATE messages SET attempts = max_attempts WHERE id = %s", (last.id,))
        async with tenant_session_for(databases, tenant) as session:
            [again] = await claim_due_messages(session, tenant=tenant, limit=10, lease_seconds=60)
        assert again.id == first.id
        assert again.attempts == 2
        with notifications_database_of(postgres, tenant) as db:
            status, error = db.execute(
                "SELECT status, last_error FROM messages WHERE id = %s", (last.id,)
            ).fetchone()
            steps = db.execute(
                "SELECT status, attempt FROM delivery_log WHERE message_id = %s ORDER BY id",
                (first.id,),
            ).fetchall()
        assert (status, error) == ("failed", ABANDONED)
        assert steps == [("queued", 0), ("sending", 1), ("sending", 2)]
    finally:
        await databases.dispose_all()


def notifications_database_of(postgres, tenant: str) -> psycopg.Connection:
    return psycopg.connect(postgres.dsn(database_name(ISOLATED, tenant)), autocommit=True)


@contextmanager
def stalling_smtp_server() -> Iterator[int]:
    """A port that accepts connections and never greets: an SMTP send to it hangs."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


@contextmanager
def notifications_process(postgres, identity_url: str, **env: str) -> Iterator[str]:
    """notifications as a uvicorn process of its own (a replica that can be killed)."""
    port = free_port()
    environment = {
        **os.environ,
        "MOSAICO_DATABASE_URL": postgres.module_url("notifications"),
        **internal_auth_env("notifications"),
        "MOSAICO_IDENTITY_URL": identity_url,
        "MOSAICO_PROVIDER_SECRETS_KEY": PROVIDER_SECRETS_KEY,
        "MOSAICO_EVENT_SEALING_KEYS": EVENT_SEALING_KEYS,
        "MOSAICO_SMTP_SECURITY": "none",
        **env,
    }
    with (Path(tempfile.gettempdir()) / f"notifications-{port}.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "mosaico_notifications.main:app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env=environment, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for_http(f"http://127.0.0.1:{port}/notifications/readyz", timeout=180, alive=process)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _held_by_the_doomed_replica(postgres, tenant, message_id: str) -> bool | None:
    """True while the doomed replica (lease of 3 s) sends it, False once the live one
    (whose lease is far longer) took it first, None before anyone did."""
    with notifications_database(postgres, tenant) as db:
        status, lease = db.execute(
            "SELECT status, extract(epoch FROM lease_expires_at - updated_at) FROM messages"
            " WHERE id = %s",
            (message_id,),
        ).fetchone()
    if status == "queued":
        return None
    return status == "sending" and lease is not None and lease < 5


def test_a_replica_killed_mid_send_leaves_the_message_to_the_other(
    notifications, make_notifications_tenant, mail_sink, postgres, identity_server
):
    """A message left 'sending' by a replica that died is sent by a live one once its
    lease runs out, under the same Message-ID (a mail program can tell a repeat)."""
    tenant = make_notifications_tenant()
    caller = admin(notifications, tenant)
    caller.save_template("boas-vindas")
    with stalling_smtp_server() as stalled, notifications_process(
        postgres, identity_server, MOSAICO_SMTP_HOST="127.0.0.1", MOSAICO_SMTP_PORT=str(stalled),
        MOSAICO_SMTP_TIMEOUT_SECONDS="300", MOSAICO_DELIVERY_LEASE_SECONDS="3",
    ) as (url, process), httpx.Client(base_url=url, timeout=30) as doomed:  # fmt: skip
        # Both replicas wake for a new message; the live one only at its next scan, so the
        # doomed one nearly always claims it first. When it does not, try another.
        for _ in range(5):
            to = new_address(tenant)
            accepted = doomed.post(
                "/notifications/v1/messages",
                headers={**tenant.auth(), "Idempotency-Key": str(uuid.uuid4())},
                json={"channel": "email", "to": to, "template": "boas-vindas",
                      "data": {"nome": "A", "pedido": 1}},
            )  # fmt: skip
            assert accepted.status_code == 202, accepted.text
            message_id = accepted.json()["id"]
            claimed = functools.partial(_held_by_the_doomed_replica, postgres, tenant, message_id)
            held = eventually(
                lambda claimed=claimed: (h := claimed()) is not None and (h,),
                what="a replica to claim the message",
            )
            if held == (True,):
                break
        else:
            pytest.fail("the doomed replica never claimed a message first")
        process.kill()  # between claiming the message and saying how the send went
    sent = caller.settled(message_id)
    assert sent["attempts"] == 2
    assert [e["status"] for e in sent["log"]] == ["queued", "sending", "sending", "sent"]
    [mail] = mail_sink.messages_to(to)
    assert mail.message["Message-ID"] == f"<{message_id}@notifications.mosaico>"
