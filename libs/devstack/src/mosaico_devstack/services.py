"""Running Mosaico's services as local uvicorn processes."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mosaico_devstack.ports import wait_for_http

#: module -> the ASGI app uvicorn serves; a module shows up here once its package exists.
SERVICE_APPS = {
    "identity": "mosaico_identity.main:app",
    "crm": "mosaico_crm.main:app",
    "finance": "mosaico_finance.main:app",
    "notifications": "mosaico_notifications.main:app",
}


def installed_modules() -> list[str]:
    """Modules whose package is installed in this environment (identity first)."""
    return [
        module
        for module, app in SERVICE_APPS.items()
        if importlib.util.find_spec(app.split(":")[0]) is not None
    ]


@dataclass
class ServiceProcess:
    module: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_service(
    module: str,
    *,
    listener: socket.socket,
    env: dict[str, str],
    log_dir: Path,
    timeout: float = 120.0,
) -> ServiceProcess:
    """Start ``module`` under uvicorn on ``listener`` (a socket this process bound, see
    ``reserve_port``) and wait until its readiness probe answers. uvicorn serves on
    that very socket (``--fd``), so whatever answers on the port is this process."""
    log_dir.mkdir(parents=True, exist_ok=True)
    port: int = listener.getsockname()[1]
    with (log_dir / f"{module}.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", SERVICE_APPS[module],
             "--fd", str(listener.fileno())],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
        )  # fmt: skip
    listener.close()  # the server holds it now
    service = ServiceProcess(module, port, process)
    try:
        wait_for_http(f"{service.url}/{module}/readyz", timeout=timeout, alive=process)
    except (RuntimeError, TimeoutError) as exc:
        service.stop()
        tail = (log_dir / f"{module}.log").read_text(errors="replace").splitlines()[-15:]
        raise RuntimeError(f"{module} did not start on port {port}:\n" + "\n".join(tail)) from exc
    except BaseException:
        service.stop()  # stopped while it was starting: leave nothing behind
        raise
    return service
