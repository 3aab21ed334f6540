"""Loopback ports: taking one for good, finding a free one, waiting for an answer."""

from __future__ import annotations

import socket
import time

import httpx


class PortTaken(RuntimeError):
    """Another process listens on a port this stack needs."""

    def __init__(self, port: int, what: str) -> None:
        super().__init__(
            f"port {port} ({what}) is taken: another process listens there. Stop it, or "
            f"start on other ports (make up PORT=9000)."
        )
        self.port = port


def reserve_port(port: int, what: str) -> socket.socket:
    """A listening socket bound to 127.0.0.1:``port`` (0: any free port), held by this
    process and handed to the server that will answer there; nobody else can then
    answer on it. Raises ``PortTaken`` naming the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Reuse a port a previous run left in TIME_WAIT; a live listener still refuses.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # uvicorn takes a socket it is handed (``--fd``) for a Unix one, so asyncio never
    # turns Nagle's algorithm off on the connections it accepts, as it does for TCP:
    # a response written as headers then body would wait for the client's delayed ACK
    # (40 ms on Linux). Connections accepted on Linux inherit this from the listener.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise PortTaken(port, what) from exc
    return sock


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
