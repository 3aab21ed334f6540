"""A throwaway PostgreSQL server: the machine's ``pg_ctl`` when present, else ``pgserver``."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mosaico_devstack.ports import free_port

APP_ROLE = "mosaico"
#: PostgreSQL refuses to run as root; as root, the server runs as this system user.
SERVER_OS_USER = "mosaico-pg"
APP_PASSWORD = "mosaico-local-only"


def find_pg_bin() -> Path | None:
    """The directory holding ``pg_ctl`` and ``initdb`` (PATH, then Debian's layout)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _pgserver_bin() -> Path:
    import pgserver

    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def _unprivileged() -> list[str]:
    """Command prefix that drops root for the PostgreSQL tools (nothing when not root)."""
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "-u", SERVER_OS_USER], capture_output=True).returncode != 0:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVER_OS_USER],
            check=True,
        )  # fmt: skip
    return ["runuser", "-u", SERVER_OS_USER, "--"]


def _hand_over(data_dir: Path) -> None:
    """As root, give the data directory to the server's user (and let it reach it)."""
    if os.geteuid() != 0:
        return
    _unprivileged()
    shutil.chown(data_dir, SERVER_OS_USER, SERVER_OS_USER)
    for parent in data_dir.parents:
        if parent == Path("/"):
            break
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)  # traverse only, no listing


@dataclass
class LocalPostgres:
    """A PostgreSQL server in ``data_dir`` on a free loopback port (trust auth, no fsync:
    it exists for tests and local runs, never for data anyone keeps)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    bin_dir: Path | None = None
    superuser: str = "postgres"

    def __post_init__(self) -> None:
        self.bin_dir = self.bin_dir or find_pg_bin() or _pgserver_bin()

    def _run(self, tool: str, *args: str) -> None:
        assert self.bin_dir is not None
        done = subprocess.run(
            [*_unprivileged(), str(self.bin_dir / tool), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self._env(),
        )
        if done.returncode != 0:
            log = self.log_file
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stdout[-2000:]}\n{tail}")

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("PGDATA", None)
        env["LC_ALL"] = env["LANG"] = "C.UTF-8"
        return env

    def start(self) -> LocalPostgres:
        """initdb (first time only), then start and wait until it accepts connections."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        _hand_over(self.data_dir)
        if not (self.data_dir / "PG_VERSION").exists():
            self.log_file.touch()
            _hand_over(self.log_file)
            self._run(
                "initdb", "-D", str(self.data_dir), "-U", self.superuser,
                "--auth=trust", "--encoding=UTF8", "--no-sync",
            )  # fmt: skip
        socket_dir = self.data_dir.parent / f"{self.data_dir.name}-sock"
        socket_dir.mkdir(exist_ok=True)
        _hand_over(socket_dir)
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=400 -c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
            "-l", str(self.log_file), "-o", options,
        )  # fmt: skip
        self.ensure_app_role()
        return self

    @property
    def log_file(self) -> Path:
        """The server's log (beside the data directory, which initdb wants empty)."""
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def stop(self) -> None:
        """Stop the server (fast shutdown)."""
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")

    def url(self, database: str = "postgres", *, user: str | None = None) -> str:
        """A SQLAlchemy URL (psycopg 3) for ``database`` as ``user`` (the superuser by default)."""
        user = user or self.superuser
        password = f":{APP_PASSWORD}" if user == APP_ROLE else ""
        return f"postgresql+psycopg://{user}{password}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """A libpq DSN for ``database`` as the superuser."""
        return f"postgresql://{self.superuser}@127.0.0.1:{self.port}/{database}"

    @property
    def app_url(self) -> str:
        """The server URL the services use: their application role, no admin rights."""
        return self.url(user=APP_ROLE)

    def ensure_app_role(self) -> None:
        """The services' application role: may log in and own databases, nothing more."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]
            ).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}'")

    def create_database(self, name: str, *, owner: str = APP_ROLE) -> None:
        """Create ``name`` owned by ``owner`` unless it exists."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                return
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(owner)
                )
            )
