"""Free loopback ports and waiting for a process to answer."""

from __future__ import annotations

import socket
import time

import httpx


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_http(url: str, *, timeout: float = 30.0, alive: object = None) -> None:
    """Poll ``url`` until it answers 200; raise ``TimeoutError`` after ``timeout``.

    ``alive`` may be a ``subprocess.Popen``: if it exits, waiting stops at once.
    """
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        poll = getattr(alive, "poll", None)
        if poll is not None and poll() is not None:
            raise RuntimeError(f"the process behind {url} exited with {poll()}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not become ready in {timeout}s ({last})")
