"""``make up`` stops everything on Ctrl-C or SIGTERM, PostgreSQL included, even when
the signal comes twice; and a server a killed run left behind does not block the next."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.devstack.stack import make_up, pid_alive
from tests.fixtures.polling import eventually

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "signals",
    [(signal.SIGINT, signal.SIGINT), (signal.SIGTERM,)],
    ids=["ctrl-c-twice", "sigterm"],
)
def test_a_stop_signal_to_the_process_group_leaves_no_process(
    tmp_path: Path, signals: tuple[int, ...]
) -> None:
    with make_up(tmp_path) as stack:
        stack.wait_until_running()
        postgres = stack.postgres_pid
        for signum in signals:  # a second one lands during the cleanup
            stack.signal_group(signum)
        eventually(lambda: not stack.group_alive(), what="every process of make up to exit")
        eventually(lambda: not pid_alive(postgres), what="PostgreSQL to stop")
        assert not (stack.state / "postgres" / "postmaster.pid").exists()
        assert "while stopping" not in stack.output, stack.output[-3000:]


def test_a_server_left_by_a_killed_run_is_stopped_by_the_next(tmp_path: Path) -> None:
    with make_up(tmp_path) as stack:
        stack.wait_until_running()
        orphan = stack.postgres_pid
        stack.signal_group(signal.SIGKILL)  # no cleanup at all
        eventually(lambda: not stack.group_alive(), what="the killed run to be gone")
        assert pid_alive(orphan)
        again = subprocess.run(
            [sys.executable, "-m", "mosaico_devstack.up", "--check",
             "--state", str(stack.state), "--base-port", "0"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
        assert "stopped a PostgreSQL a previous run left" in again.stdout
        assert not pid_alive(orphan)
