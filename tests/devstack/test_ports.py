"""Ports another process holds are an error naming the port, never someone else's stack."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from mosaico_devstack.ports import PortTaken, reserve_port


def test_a_taken_port_is_refused_by_name() -> None:
    held = reserve_port(0, "someone else")
    port = held.getsockname()[1]
    try:
        with pytest.raises(PortTaken, match=f"port {port} \\(crm\\) is taken"):
            reserve_port(port, "crm")
    finally:
        held.close()


def test_connections_accepted_on_a_reserved_port_send_at_once() -> None:
    """uvicorn serves a handed socket (``--fd``) without turning Nagle's algorithm off,
    so the listener carries TCP_NODELAY for the connections it accepts: a response
    written as headers, then body, must not wait for the client's delayed ACK."""
    listener = reserve_port(0, "crm")
    try:
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        listener.close()


@pytest.mark.slow
def test_make_up_fails_naming_the_port_another_stack_holds(tmp_path: Path) -> None:
    other = socket.socket()  # another stack, on the port make up would give identity
    other.bind(("127.0.0.1", 0))
    other.listen()
    port = other.getsockname()[1]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mosaico_devstack.up", "--check",
             "--state", str(tmp_path / "state"), "--base-port", str(port)],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        other.close()
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"port {port} (identity) is taken" in done.stderr
    assert "Mosaico is running" not in done.stdout
    assert not (tmp_path / "state" / "postgres").exists()  # nothing was started
