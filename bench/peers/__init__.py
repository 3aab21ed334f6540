"""Mainstream peers of crm's leads list, each written the way its framework's own
documentation writes it, on crm's own ``leads`` table, each with one worker process."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
from mosaico_devstack.ports import free_port

HERE = Path(__file__).parent
DRF = HERE / "drf"


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    pid: int = 0


def _sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg://", 1)


def _wait_answering(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> None:
    """Until ``url`` answers anything at all (a peer's root may well say 401)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the peer behind {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


@contextmanager
def _process(
    argv: list[str], env: dict[str, str], ready: str, cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, env={**os.environ, **env}, cwd=cwd)
    try:
        _wait_answering(ready, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _drf_token(env: dict[str, str]) -> str:
    """Django's tables migrated, one user and its DRF token (what ``drf_create_token`` makes)."""
    run = {"env": {**os.environ, **env}, "cwd": DRF, "check": True}
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], **run)
    script = (
        "import django; django.setup()\n"
        "from django.contrib.auth.models import User\n"
        "from rest_framework.authtoken.models import Token\n"
        "user, _ = User.objects.get_or_create(username='bench')\n"
        "print(Token.objects.get_or_create(user=user)[0].key)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, **run)
    return done.stdout.strip().splitlines()[-1]


def _sqlmodel_token(env: dict[str, str]) -> str:
    """The template's user table with one superuser, and an access token for them."""
    script = (
        "import sys; sys.path.insert(0, '.')\n"
        "from sqlmodel import Session, SQLModel\n"
        "from sqlmodel_app.main import User, engine\n"
        "SQLModel.metadata.create_all(engine, tables=[User.__table__])\n"
        "with Session(engine) as s:\n"
        "    user = User(email='bench@bench.dev', is_superuser=True, hashed_password='-')\n"
        "    s.add(user); s.commit(); print(user.id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env={**os.environ, **env}, cwd=HERE,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    user_id = uuid.UUID(done.stdout.strip().splitlines()[-1])
    expires = datetime.now(UTC) + timedelta(hours=8)
    return jwt.encode({"exp": expires, "sub": str(user_id)}, env["PEER_SECRET_KEY"], "HS256")


def _worker_of(master: int) -> int:
    """gunicorn's one worker process: it serves the requests, so its CPU time and RSS
    are the peer's (the master only watches it)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"gunicorn {master} has {len(children)} workers, not one")
    return int(children[0])


@contextmanager
def running_peers(dsn: str) -> Iterator[list[Peer]]:
    """DRF under gunicorn and the SQLModel template app under uvicorn, one worker each,
    on the database ``dsn`` (libpq form) whose ``leads`` table crm serves."""
    with ExitStack() as stack:
        drf_env = {
            "PEER_DATABASE_URL": dsn,
            "PEER_SECRET_KEY": secrets.token_urlsafe(32),
            "DJANGO_SETTINGS_MODULE": "peer_site.settings",
        }
        drf_token = _drf_token(drf_env)
        drf_port = free_port()
        drf = stack.enter_context(_process(
            [sys.executable, "-m", "gunicorn", "peer_site.wsgi", "--workers", "1",
             "--bind", f"127.0.0.1:{drf_port}", "--log-level", "warning"],
            drf_env, f"http://127.0.0.1:{drf_port}/", DRF,
        ))  # fmt: skip
        sqlmodel_env = {
            "PEER_DATABASE_URL": _sqlalchemy_url(dsn),
            "PEER_SECRET_KEY": secrets.token_urlsafe(32),
        }
        sqlmodel_token = _sqlmodel_token(sqlmodel_env)
        sqlmodel_port = free_port()
        sqlmodel = stack.enter_context(_process(
            [sys.executable, "-m", "uvicorn", "sqlmodel_app.main:app", "--host", "127.0.0.1",
             "--port", str(sqlmodel_port), "--no-access-log", "--log-level", "warning"],
            sqlmodel_env, f"http://127.0.0.1:{sqlmodel_port}/ping", HERE,
        ))  # fmt: skip
        yield [
            Peer("DRF ModelViewSet (gunicorn, token auth)", f"http://127.0.0.1:{drf_port}",
                 "/leads/", {"Authorization": f"Token {drf_token}"}, _worker_of(drf.pid)),
            Peer("FastAPI + SQLModel template (sync session, JWT)",
                 f"http://127.0.0.1:{sqlmodel_port}", "/api/v1/leads/?skip=0&limit=50",
                 {"Authorization": f"Bearer {sqlmodel_token}"}, sqlmodel.pid),
        ]  # fmt: skip
