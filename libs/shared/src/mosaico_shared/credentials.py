"""A workload's own credentials for other services' internal APIs.

The token is read from a file and read again whenever the file changes: in a cluster the
kubelet rotates projected ServiceAccount tokens by swapping a symlink under the mount,
and locally ``make up`` writes generated tokens there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator
from pathlib import Path

import httpx

from mosaico_shared.problems import DependencyUnavailable


class TokenFileAuth(httpx.Auth):
    """``Authorization: Bearer <the file's content>`` on every request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._token = ""
        self._lock = threading.Lock()

    def token(self) -> str:
        """The current token, re-read when the file was replaced or rewritten."""
        try:
            stat = os.stat(self.path)  # follows the kubelet's ..data symlink
            seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
            with self._lock:
                if seen != self._seen:
                    self._token = self.path.read_text().strip()
                    self._seen = seen
                token = self._token
        except OSError as exc:
            raise DependencyUnavailable(
                f"This service's credential file {self.path} cannot be read."
            ) from exc
        if not token:
            raise DependencyUnavailable(f"This service's credential file {self.path} is empty.")
        return token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        yield request


class CallerCredentials:
    """This workload's tokens for the services it calls: ``directory/<module>`` holds the
    token meant for ``module`` (its audience names that module), one file per service."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def for_service(self, module: str) -> httpx.Auth | None:
        """The credential to send to ``module``; None when this workload has none."""
        if self.directory is None:
            return None
        return TokenFileAuth(self.directory / module)
