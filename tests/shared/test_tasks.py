"""Background loops stop even when a cancellation is swallowed on the way."""

from __future__ import annotations

import asyncio

from mosaico_shared.tasks import stop_task


def test_a_loop_that_swallowed_its_cancellation_is_cancelled_again() -> None:
    """What Python 3.11's ``wait_for`` does in a race (bpo-42130): the first cancel is
    lost, and a loop awaited after one ``cancel()`` would keep its owner waiting forever."""
    cancels: list[int] = []

    async def loop() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancels.append(1)
                if len(cancels) == 1:
                    continue  # swallowed, as wait_for does when the inner await just ended
                raise

    async def main() -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(loop())
        await asyncio.sleep(0)
        # The guard only keeps a regression from hanging the suite; it measures nothing.
        await asyncio.wait_for(stop_task(task, grace_seconds=0.05), timeout=60)
        return task

    task = asyncio.run(main())
    assert task.cancelled()
    assert len(cancels) == 2


def test_an_error_the_task_ended_with_is_not_raised_by_stopping_it() -> None:
    async def fails() -> None:
        raise RuntimeError("lost connection")

    async def main() -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(fails())
        await asyncio.sleep(0)
        await stop_task(task)
        return task

    assert isinstance(asyncio.run(main()).exception(), RuntimeError)


def test_nothing_to_stop() -> None:
    asyncio.run(stop_task(None))
