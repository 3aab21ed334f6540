"""The module's connection to NATS JetStream: kept up in the background, never in the
way of a request. While NATS is away, events wait in the outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck

from mosaico_shared.events.envelope import Envelope
from mosaico_shared.events.metrics import NATS_CONNECTED
from mosaico_shared.events.settings import EventSettings
from mosaico_shared.events.streams import ensure_streams
from mosaico_shared.tasks import stop_task

logger = logging.getLogger("mosaico.events")

OnConnected = Callable[[], Awaitable[None]]


class NatsAway(Exception):
    """NATS is not connected right now."""


class EventBus:
    """One NATS connection per process, its JetStream context, and its state."""

    def __init__(self, settings: EventSettings, module: str) -> None:
        self.settings = settings
        self.module = module
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._on_connected: list[OnConnected] = []
        self._streams_ready = False
        self._away_logged = False
        NATS_CONNECTED.labels(module).set(0)

    @property
    def configured(self) -> bool:
        """Whether a NATS URL is set at all."""
        return bool(self.settings.nats_url)

    @property
    def connected(self) -> bool:
        """Connected, with the streams in place."""
        return self._nc is not None and self._nc.is_connected and self._streams_ready

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context (``NatsAway`` while not connected)."""
        if self._js is None or not self.connected:
            raise NatsAway(f"NATS is not connected ({self.settings.nats_url})")
        return self._js

    @property
    def nc(self) -> Client:
        """The core NATS client (``NatsAway`` while not connected)."""
        if self._nc is None or not self.connected:
            raise NatsAway(f"NATS is not connected ({self.settings.nats_url})")
        return self._nc

    def on_connected(self, callback: OnConnected) -> None:
        """Run ``callback`` each time the connection (re)gains its streams."""
        self._on_connected.append(callback)

    async def wait_connected(self) -> None:
        """Until connected (tests and tools; the service itself never waits)."""
        await self._ready.wait()

    def start(self) -> None:
        """Connect in the background, retrying until NATS answers."""
        if not self.configured:
            logger.warning(
                "events: MOSAICO_NATS_URL is not set; events stay in the outbox",
                extra={"event": "nats_not_configured"},
            )
            return
        self._connecting = asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        url = self.settings.nats_url
        assert url is not None
        self._nc = await nats.connect(
            url,
            name=f"mosaico-{self.module}",
            allow_reconnect=True,
            max_reconnect_attempts=-1,
            reconnect_time_wait=self.settings.events_reconnect_seconds,
            connect_timeout=2,
            error_cb=self._error,
            disconnected_cb=self._disconnected,
            reconnected_cb=self._reconnected,
            closed_cb=self._closed,
        )
        self._js = self._nc.jetstream(timeout=self.settings.events_publish_timeout_seconds)
        await self._set_up()

    async def _set_up(self) -> None:
        # Until the streams are in place (another replica may be creating them).
        while not await self._streams_in_place():  # noqa: ASYNC110 - polling a remote server
            await asyncio.sleep(self.settings.events_reconnect_seconds)
        await self._came_back()

    async def _error(self, exc: Exception) -> None:
        if not isinstance(exc, OSError | TimeoutError | nats.errors.Error):
            logger.warning("events: NATS client error (%s)", type(exc).__name__)
            return
        if not self._away_logged and not (self._nc is not None and self._nc.is_connected):
            self._away_logged = True
            NATS_CONNECTED.labels(self.module).set(0)
            logger.warning(
                "events: NATS unreachable at %s (%s); events wait in the outbox",
                self.settings.nats_url,
                type(exc).__name__,
                extra={"event": "nats_unreachable"},
            )

    async def _disconnected(self) -> None:
        self._streams_ready = False
        NATS_CONNECTED.labels(self.module).set(0)
        if not self._away_logged and self._nc is not None and not self._nc.is_closed:
            self._away_logged = True
            logger.warning(
                "events: disconnected from NATS at %s; events wait in the outbox",
                self.settings.nats_url,
                extra={"event": "nats_disconnected"},
            )

    async def _closed(self) -> None:
        self._streams_ready = False
        NATS_CONNECTED.labels(self.module).set(0)

    async def _reconnected(self) -> None:
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._set_up())

    async def _streams_in_place(self) -> bool:
        assert self._js is not None
        if self._nc is None or not self._nc.is_connected:
            return False
        try:
            await ensure_streams(self._js, self.settings)
        except Exception as exc:
            logger.warning(
                "events: streams not set up yet (%s: %s)",
                type(exc).__name__,
                exc,
                extra={"event": "nats_streams_failed"},
            )
            return False
        return True

    async def _came_back(self) -> None:
        self._streams_ready = True
        self._away_logged = False
        NATS_CONNECTED.labels(self.module).set(1)
        self._ready.set()
        logger.info("events: connected to NATS at %s", self.settings.nats_url)
        for callback in self._on_connected:
            try:
                await callback()
            except Exception:
                logger.exception("events: a reconnect callback failed")

    async def publish(self, envelopes: Sequence[Envelope]) -> list[PubAck | None]:
        """Publish every envelope (event id as ``Nats-Msg-Id``) and wait for JetStream's
        acks; one result per envelope, ``None`` where no ack came in time."""
        js = self.js
        futures: list[asyncio.Future[PubAck]] = []
        try:
            for envelope in envelopes:
                futures.append(
                    await js.publish_async(
                        envelope.subject,
                        envelope.encode(),
                        headers=envelope.headers(),
                        wait_stall=self.settings.events_publish_timeout_seconds,
                    )
                )
        except Exception as exc:
            logger.warning("events: publishing stopped (%s)", type(exc).__name__)
        if futures:
            await asyncio.wait(futures, timeout=self.settings.events_publish_timeout_seconds)
        results: list[PubAck | None] = []
        for future in futures:
            if future.done() and not future.cancelled() and future.exception() is None:
                results.append(future.result())
            else:
                future.cancel()
                results.append(None)
        results.extend([None] * (len(envelopes) - len(futures)))
        return results

    async def close(self) -> None:
        """Stop connecting and close."""
        await stop_task(self._connecting)
        # No drain: the relay has already waited for its acks, and messages a consumer
        # holds unacknowledged go to another replica after their ack wait.
        if self._nc is not None and not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._nc.close()
        self._streams_ready = False
        NATS_CONNECTED.labels(self.module).set(0)
