"""Stopping a background loop for good.

On Python 3.11 ``asyncio.wait_for`` (our loops use it, and so do nats-py and the database
drivers) can swallow a cancellation that arrives just as the awaited thing completes
(CPython bpo-42130, fixed in 3.12). A ``while True`` loop cancelled once then runs on, and
whoever awaits it waits forever: a pod that never finishes shutting down, a test session
that never ends. ``stop_task`` cancels again until the task has really ended.
"""

from __future__ import annotations

import asyncio
import logging

logger = logging.getLogger(__name__)


async def stop_task(task: asyncio.Task[object] | None, *, grace_seconds: float = 2.0) -> None:
    """Cancel ``task`` and wait for it, cancelling again every ``grace_seconds`` while it
    runs on; an error it ended with is logged, not raised (it is being stopped)."""
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=grace_seconds)
    if not task.cancelled():
        error = task.exception()
        if error is not None:
            logger.debug("background task %s ended with %s", task.get_name(), type(error).__name__)
