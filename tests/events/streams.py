"""Reading what reached JetStream, as a consumer would see it."""

from __future__ import annotations

import nats
from mosaico_shared.events.envelope import Envelope
from mosaico_shared.events.log import read_events


async def stream_messages(
    nats_url: str, subject: str, stream: str = "MOSAICO_EVENTS"
) -> list[tuple[dict[str, str], Envelope]]:
    """(headers, envelope) of every message on ``subject`` in the event stream."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        found = []
        for event in await read_events(js, stream, subject=subject, limit=100_000):
            message = await js.get_msg(stream, seq=event.sequence)
            found.append((dict(message.headers or {}), event.envelope))
        return found
    finally:
        await nc.close()


def payments_subject(tenant: str) -> str:
    return f"mosaico.{tenant}.payments.>"
