"""``make up`` as a terminal runs it: in a process group of its own, output to a file."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mosaico_devstack.postgres import LocalPostgres
from mosaico_devstack.up import stop_postgres

from tests.fixtures.polling import eventually
from tests.fixtures.uv import REPO_ROOT

#: Starting PostgreSQL and every module on a busy 2-core machine: a bound, not a speed.
START_TIMEOUT = 600.0


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    state: Path
    output_file: Path

    @property
    def output(self) -> str:
        return self.output_file.read_text(errors="replace")

    def wait_until_running(self) -> None:
        eventually(
            lambda: "Mosaico is running." in self.output or self.process.poll() is not None,
            what="make up to say it is running",
            timeout=START_TIMEOUT,
        )
        assert self.process.poll() is None, self.output[-4000:]

    @property
    def postgres_pid(self) -> int:
        """The PostgreSQL server's pid (it runs in a session of its own, as pg_ctl starts it)."""
        return int((self.state / "postgres" / "postmaster.pid").read_text().splitlines()[0])

    def signal_group(self, signum: int) -> None:
        os.killpg(self.process.pid, signum)

    def group_alive(self) -> bool:
        """Whether a process of make up's group still runs (exited ones are reaped
        first: a zombie still answers a signal, but runs nothing)."""
        self.process.poll()
        return bool(running_in_group(self.process.pid))


def running_in_group(pgid: int) -> list[int]:
    """Pids of the processes of group ``pgid`` that are not zombies, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            found.append(int(stat.parent.name))
    return found


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@contextlib.contextmanager
def make_up(
    tmp_path: Path, *arguments: str, env: dict[str, str] | None = None, port: int = 0
) -> Iterator[Stack]:
    """``make up PORT=<port> STATE=<tmp>``; whatever is left at the end is killed, so
    a failing test leaves no server behind."""
    # Not under pytest's own temporary folder: each new pytest run on the machine
    # closes that folder to other users, PostgreSQL's included, while the server runs.
    state = Path(tempfile.mkdtemp(prefix="mosaico-devstack-"))
    output = tmp_path / "make-up.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            ["make", "up", f"PORT={port}", f"STATE={state}", *arguments],
            cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    stack = Stack(process, state, output)
    try:
        yield stack
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if (state / "postgres" / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, OSError):
                stop_postgres(LocalPostgres(state / "postgres"))
        shutil.rmtree(state, ignore_errors=True)
