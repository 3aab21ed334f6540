"""Delivery throughput of notifications' worker, against raw aiosmtplib sending the same
messages to the same SMTP server with the same number in flight.

A throwaway PostgreSQL holds one tenant database (migrated as onboarding leaves it)
with N queued, rendered e-mails; the SMTP server is aiosmtpd in this process (the one
``make up`` runs). Measured: from starting the worker(s) to the server having every
message, with one worker and with two workers claiming from the same table (every
message must arrive exactly once). Baseline: ``aiosmtplib.send`` of the same N e-mails,
``delivery_batch`` at a time. Run: ``uv run python bench/notifications.py [--messages 2000]``
(or ``make bench``).
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import argparse
import asyncio
import shutil
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

import aiosmtplib
import httpx
from mosaico_devstack.mail import MailSink
from mosaico_devstack.postgres import LocalPostgres
from mosaico_notifications.channels import OutgoingMessage
from mosaico_notifications.channels.email import email_message
from mosaico_notifications.delivery.worker import DeliveryWorker
from mosaico_notifications.main import TENANT_MIGRATIONS
from mosaico_notifications.messages.service import queue_message
from mosaico_notifications.settings import NotificationsSettings
from mosaico_notifications.templates.schemas import RenderedOut
from mosaico_shared.migrations import upgrade_database
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name
from mosaico_shared.tenancy.session import tenant_session_for

RENDERED = RenderedOut(
    subject="Seu pedido saiu para entrega",
    html="<p>Olá, Carla!</p><p>O pedido 1042 da Padaria Pão Quente saiu para entrega.</p>",
    text="Olá, Carla!\n\nO pedido 1042 da Padaria Pão Quente saiu para entrega.\n",
)


async def queue(databases: TenantDatabases, tenant: str, count: int, prefix: str) -> None:
    async with tenant_session_for(databases, tenant) as session:
        for n in range(count):
            await queue_message(
                session, tenant=tenant, idempotency_key=f"api:{uuid.uuid4()}",
                request_hash="0" * 64, source="api", channel="email",
                recipient=f"{prefix}{n}@bench.example.com.br", template_key="aviso",
                rendered=RENDERED, data={}, max_attempts=6,
            )  # fmt: skip


async def until_received(sink: MailSink, prefix: str, count: int) -> None:
    while sum(1 for m in sink.messages if m.recipients[0].startswith(prefix)) < count:
        await asyncio.sleep(0.01)


async def workers_run(
    settings: NotificationsSettings, postgres: LocalPostgres, tenant: str, sink: MailSink,
    count: int, replicas: int,
) -> tuple[float, int]:  # fmt: skip
    """Seconds from starting ``replicas`` workers to every message received, and how
    many messages arrived more than once."""
    prefix = f"w{replicas}-"
    seed = TenantDatabases(postgres.app_url, "notifications")
    await queue(seed, tenant, count, prefix)
    await seed.dispose_all()
    databases = [TenantDatabases(postgres.app_url, "notifications") for _ in range(replicas)]
    async with httpx.AsyncClient() as http:
        workers = [DeliveryWorker(d, settings, box=None, http=http) for d in databases]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        await until_received(sink, prefix, count)
        elapsed = time.perf_counter() - started
        for worker in workers:
            await worker.close()
    for d in databases:
        await d.dispose_all()
    arrived = Counter(m.recipients[0] for m in sink.messages if m.recipients[0].startswith(prefix))
    return elapsed, sum(n - 1 for n in arrived.values())


async def raw_run(sink: MailSink, count: int, in_flight: int) -> float:
    prefix = "raw-"
    slots = asyncio.Semaphore(in_flight)

    async def send(n: int) -> None:
        message = OutgoingMessage(
            id=uuid.uuid4(), tenant="bench", channel="email",
            recipient=f"{prefix}{n}@bench.example.com.br", template_key="aviso",
            subject=RENDERED.subject, html=RENDERED.html, text=RENDERED.text,
        )  # fmt: skip
        async with slots:
            await aiosmtplib.send(
                email_message(message, "Mosaico <nao-responda@mosaico.dev>"),
                hostname="127.0.0.1", port=sink.port, start_tls=False, use_tls=False,
            )  # fmt: skip

    started = time.perf_counter()
    await asyncio.gather(*(send(n) for n in range(count)))
    await until_received(sink, prefix, count)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args(argv or [])
    count = args.messages
    root = Path(tempfile.mkdtemp(prefix="mosaico-bench-"))
    postgres = LocalPostgres(root / "pg", durable=False).start()
    sink = MailSink().start()
    tenant = "bench"
    try:
        postgres.create_database(database_name("notifications", tenant))
        upgrade_database(TENANT_MIGRATIONS, postgres.url(database_name("notifications", tenant),
                                                         user="mosaico"))  # fmt: skip
        settings = NotificationsSettings(
            database_url=postgres.app_url, internal_auth="digests", smtp_host="127.0.0.1",
            smtp_port=sink.port, smtp_security="none", log_level="WARNING",
        )  # fmt: skip
        in_flight = settings.delivery_batch
        raw = asyncio.run(raw_run(sink, count, in_flight))
        one, one_dupes = asyncio.run(workers_run(settings, postgres, tenant, sink, count, 1))
        two, two_dupes = asyncio.run(workers_run(settings, postgres, tenant, sink, count, 2))
    finally:
        sink.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
    rows = [
        ("raw aiosmtplib.send (baseline)", raw, 0),
        ("delivery worker, 1 replica", one, one_dupes),
        ("delivery workers, 2 replicas on one table", two, two_dupes),
    ]
    lines = [
        f"{count} queued e-mails of one tenant to aiosmtpd on loopback, {in_flight} in flight "
        "(`delivery_batch`); the workers claim, send, and record each attempt and outcome "
        "(delivery log, outbox event).",
        "",
        "| sender | messages/s | seconds | sent twice |",
        "|---|---:|---:|---:|",
        *(f"| {name} | {count / s:,.0f} | {s:.2f} | {d} |" for name, s, d in rows),
        "",
        f"- 1 replica: {raw / one:.1%} of the baseline's messages/s; 2 replicas: {raw / two:.1%}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
