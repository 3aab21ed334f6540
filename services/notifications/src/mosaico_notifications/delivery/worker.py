"""The delivery worker: sends what was queued, in the background of every replica.

A commit that queued messages wakes the worker for that tenant at once (no polling on
the hot path); a failed attempt sets a timer for its retry; and a periodic scan over
every tenant database of the module (a few at a time, each on one short-lived
connection) picks up what nothing announced: retries another replica scheduled, and
messages whose worker died holding them. Replicas share the work through row claims
(``FOR UPDATE SKIP LOCKED`` and a lease), so no message is sent by two at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from datetime import UTC, datetime

import httpx
from mosaico_shared.events.sweeper import tenant_of
from mosaico_shared.tasks import stop_task
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.session import tenant_session_for
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from mosaico_notifications.channels import DeliveryFailed
from mosaico_notifications.channels.email import SmtpSender, SmtpServer
from mosaico_notifications.channels.webhook import WebhookEndpoint, WebhookSender
from mosaico_notifications.delivery import service
from mosaico_notifications.delivery.metrics import (
    DUE,
    MESSAGES,
    OLDEST_DUE_AGE,
    SCANS,
    SEND_SECONDS,
)
from mosaico_notifications.models import Message
from mosaico_notifications.providers.secrets import SecretBox
from mosaico_notifications.settings import NotificationsSettings

logger = logging.getLogger("mosaico.notifications")

_WAKE_ON_COMMIT = "mosaico.notifications.wake"


class DeliveryWorker:
    """Sends one pod's share of every tenant's messages."""

    def __init__(
        self,
        databases: TenantDatabases,
        settings: NotificationsSettings,
        *,
        box: SecretBox | None,
        http: httpx.AsyncClient,
    ) -> None:
        self.databases = databases
        self.settings = settings
        self.box = box
        self.smtp = SmtpSender(allow_private=settings.allow_private_destinations)
        self.webhooks = WebhookSender(
            http,
            allow_private=settings.allow_private_destinations,
            timeout=settings.webhook_timeout_seconds,
        )
        self._draining: set[str] = set()
        self._wanted: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: set[asyncio.TimerHandle] = set()
        self._tenants = asyncio.Semaphore(settings.delivery_tenant_concurrency)
        self._scan: asyncio.Task[None] | None = None
        self._scan_now = asyncio.Event()
        self._closed = False

    def start(self) -> None:
        """Scan now and then every interval, until ``close``."""
        self._scan = asyncio.get_running_loop().create_task(self._scan_loop())

    async def close(self) -> None:
        """Stop scanning and waking; attempts in flight finish (their leases would let
        another replica take them over otherwise)."""
        self._closed = True
        for timer in self._timers:
            timer.cancel()
        await stop_task(self._scan)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=self.settings.delivery_lease_seconds)

    def wake(self, tenant: str) -> None:
        """Send ``tenant``'s due messages now (called on the event loop's thread)."""
        if self._closed:
            return
        self._wanted.add(tenant)
        if tenant in self._draining:
            return
        self._draining.add(tenant)
        task = asyncio.get_running_loop().create_task(self._drain(tenant))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def wake_after_commit(self, session: AsyncSession, tenant: str) -> None:
        """Wake for ``tenant`` once ``session`` commits (not at all if it rolls back)."""
        sync: Session = session.sync_session
        tenants: set[str] | None = sync.info.get(_WAKE_ON_COMMIT)
        if tenants is None:
            tenants = sync.info[_WAKE_ON_COMMIT] = set()

            def committed(_: Session) -> None:
                for woken in tenants:
                    self.wake(woken)
                tenants.clear()

            event.listen(sync, "after_commit", committed)
            event.listen(sync, "after_rollback", lambda _: tenants.clear())
        tenants.add(tenant)

    async def _drain(self, tenant: str) -> None:
        try:
            async with self._tenants:
                while tenant in self._wanted and not self._closed:
                    self._wanted.discard(tenant)
                    while await self._send_batch(tenant):
                        pass
        except Exception as exc:
            logger.warning(
                "notifications: delivery for tenant %s paused (%s); the next scan retries",
                tenant, type(exc).__name__, extra={"tenant": tenant},
            )  # fmt: skip
        finally:
            self._draining.discard(tenant)
            if tenant in self._wanted and not self._closed:
                self._wanted.discard(tenant)
                self.wake(tenant)

    async def _send_batch(self, tenant: str) -> int:
        """Claim a batch and send it; how many were claimed."""
        async with tenant_session_for(self.databases, tenant) as session:
            claimed = await service.claim_due_messages(
                session,
                tenant=tenant,
                limit=self.settings.delivery_batch,
                lease_seconds=self.settings.delivery_lease_seconds,
            )
            if not claimed:
                return 0
            destinations = await service.destinations_of(
                session, tenant=tenant, box=self.box, settings=self.settings
            )
        await asyncio.gather(*(self._attempt(tenant, m, destinations) for m in claimed))
        return len(claimed)

    async def _attempt(
        self, tenant: str, message: Message, destinations: service.Destinations
    ) -> None:
        attempt = message.attempts
        failure: DeliveryFailed | None = None
        started = time.monotonic()
        try:
            target = service.destination_for(message.channel, destinations)  # type: ignore[arg-type]
            outgoing = service.outgoing(message, tenant)
            if isinstance(target, SmtpServer):
                await self.smtp.send(outgoing, target)
            elif isinstance(target, WebhookEndpoint):
                await self.webhooks.send(outgoing, target)
        except DeliveryFailed as failed:
            failure = failed
        except Exception as exc:  # a sender's bug must not leave the message leased
            failure = DeliveryFailed(f"{type(exc).__name__} while sending", permanent=False)
        SEND_SECONDS.labels(message.channel).observe(time.monotonic() - started)
        async with tenant_session_for(self.databases, tenant) as session:
            if failure is None:
                await service.record_sent(session, tenant=tenant, message=message, attempt=attempt)
                MESSAGES.labels(message.channel, "sent").inc()
                return
            delay = await service.record_failure(
                session, tenant=tenant, message=message, attempt=attempt, failure=failure,
                settings=self.settings,
            )  # fmt: skip
        outcome = "retried" if delay is not None else "failed"
        MESSAGES.labels(message.channel, outcome).inc()
        logger.warning(
            "notifications: message %s attempt %d of %d failed (%s); %s",
            message.id, attempt, message.max_attempts, failure.reason,
            f"next in {delay:.1f}s" if delay is not None else "failed for good",
            extra={"tenant": tenant},
        )  # fmt: skip
        if delay is not None:
            self._retry_later(tenant, delay)

    def _retry_later(self, tenant: str, delay: float) -> None:
        loop = asyncio.get_running_loop()

        def due() -> None:
            self._timers.discard(timer)
            self.wake(tenant)

        timer = loop.call_later(delay, due)
        self._timers.add(timer)

    async def _scan_loop(self) -> None:
        interval = self.settings.delivery_scan_interval_seconds
        while True:
            try:
                await self.scan()
                SCANS.labels("ok").inc()
            except Exception as exc:
                SCANS.labels("failed").inc()
                logger.warning("notifications: delivery scan failed (%s)", type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._scan_now.wait(),
                    timeout=interval * random.uniform(0.8, 1.2),  # noqa: S311 - jitter
                )
            self._scan_now.clear()

    async def tenant_databases(self) -> list[str]:
        """Every tenant database of the module on its server."""
        engine = self.databases.engine_for_database("postgres")
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT datname FROM pg_database WHERE datname LIKE :prefix ESCAPE '\\' "
                    "AND NOT datistemplate AND datallowconn ORDER BY datname"
                ),
                {"prefix": self.databases.module + "\\_%"},
            )
            return [row[0] for row in rows]

    async def scan(self) -> int:
        """One pass over every tenant database: wake for each that has due messages.
        Returns how many messages were due."""
        slots = asyncio.Semaphore(self.settings.delivery_scan_concurrency)

        async def visit(name: str) -> tuple[int, datetime | None]:
            async with slots:
                return await self._due_in(name)

        names = await self.tenant_databases()
        results = await asyncio.gather(*(visit(name) for name in names))
        for name, (due, _) in zip(names, results, strict=True):
            if due:
                self.wake(tenant_of(self.databases.module, name))
        total = sum(due for due, _ in results)
        oldest = min((since for _, since in results if since is not None), default=None)
        DUE.set(total)
        age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
        OLDEST_DUE_AGE.set(max(age, 0.0))
        return total

    async def _due_in(self, name: str) -> tuple[int, datetime | None]:
        engine = self.databases.unpooled_engine(name)
        try:
            async with AsyncSession(engine) as session:
                return await service.due_summary(session)
        except (DBAPIError, PoolTimeout):
            return 0, None  # not migrated yet, being dropped, or every connection busy
        finally:
            await engine.dispose()
