"""A local PostgreSQL server: the machine's ``pg_ctl`` when present, else ``pgserver``.

It listens on loopback only and every role logs in with a password (scram-sha-256); the
passwords are generated at the first start and kept beside the data, readable by the
owner only. Each module has its own role, which owns that module's databases; nobody
else may connect to them (``CONNECT`` is revoked from ``PUBLIC``). The operator's role
may create databases and roles and acts for the module roles, but is no superuser.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mosaico_shared.contracts.tenants import MODULES

from mosaico_devstack.ports import free_port

#: The role of modules that exist only in tests (the real ones have their own).
APP_ROLE = "mosaico"
#: The operator's role: CREATEDB and CREATEROLE, a member of every module role.
OPERATOR_ROLE = "mosaico_operator"
#: PostgreSQL refuses to run as root; as root, the server runs as this system user.
SERVER_OS_USER = "mosaico-pg"


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


def module_role(module: str) -> str:
    """The PostgreSQL role of ``module`` (it owns ``<module>_<tenant>`` databases)."""
    return module


@dataclass
class LocalPostgres:
    """A PostgreSQL server in ``data_dir`` on a free loopback port.

    ``durable`` keeps ``fsync`` on (``make up`` keeps its data); a throwaway test server
    turns it off. ``also_listen_on`` adds addresses besides loopback, and ``clients``
    the networks that may log in there (with a password, like everyone).
    """

    data_dir: Path
    port: int = field(default_factory=free_port)
    bin_dir: Path | None = None
    superuser: str = "postgres"
    durable: bool = True
    also_listen_on: tuple[str, ...] = ()
    clients: tuple[str, ...] = ()
    _passwords: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.bin_dir = self.bin_dir or find_pg_bin() or _pgserver_bin()

    @property
    def credentials_file(self) -> Path:
        """The roles' generated passwords (JSON, owner-only), beside the data."""
        return self.data_dir.parent / f"{self.data_dir.name}-credentials.json"

    def attach(self) -> LocalPostgres:
        """Speak to a server that is already running from this state folder (started by
        another process, e.g. ``make up``), with the roles' passwords kept beside it."""
        self._load_passwords()
        return self

    def _load_passwords(self) -> None:
        roles = [self.superuser, OPERATOR_ROLE, APP_ROLE, *map(module_role, MODULES)]
        known: dict[str, str] = {}
        if self.credentials_file.exists():
            known = json.loads(self.credentials_file.read_text())
        missing = [r for r in roles if r not in known]
        if missing:
            known |= {role: secrets.token_urlsafe(24) for role in missing}
            self.credentials_file.touch(mode=0o600)
            self.credentials_file.chmod(0o600)
            self.credentials_file.write_text(json.dumps(known, indent=2))
        self._passwords = known

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
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        _hand_over(self.data_dir)
        self._load_passwords()
        if not (self.data_dir / "PG_VERSION").exists():
            self.log_file.touch()
            _hand_over(self.log_file)
            password_file = self.data_dir.parent / f"{self.data_dir.name}-initdb-password"
            password_file.touch(mode=0o600)
            password_file.write_text(self._passwords[self.superuser])
            _hand_over(password_file)
            try:
                self._run(
                    "initdb", "-D", str(self.data_dir), "-U", self.superuser,
                    "--auth=scram-sha-256", f"--pwfile={password_file}",
                    "--encoding=UTF8", *([] if self.durable else ["--no-sync"]),
                )  # fmt: skip
            finally:
                password_file.unlink(missing_ok=True)
        self._admit_clients()
        socket_dir = self.data_dir.parent / f"{self.data_dir.name}-sock"
        socket_dir.mkdir(exist_ok=True)
        _hand_over(socket_dir)
        throwaway = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = (
            f"-p {self.port} -c listen_addresses={','.join(['127.0.0.1', *self.also_listen_on])} "
            f"-k {socket_dir} "
            f"{'' if self.durable else throwaway}"
            "-c password_encryption=scram-sha-256 "
            "-c max_connections=400 -c shared_buffers=128MB"
        )
        self._run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
            "-l", str(self.log_file), "-o", options,
        )  # fmt: skip
        self.ensure_roles()
        return self

    def _admit_clients(self) -> None:
        """A pg_hba.conf line (password login) for each network in ``clients``."""
        hba = self.data_dir / "pg_hba.conf"
        lines = hba.read_text().splitlines()
        wanted = [f"host all all {network} scram-sha-256" for network in self.clients]
        missing = [line for line in wanted if line not in lines]
        if missing:
            hba.write_text("\n".join([*lines, *missing]) + "\n")

    @property
    def log_file(self) -> Path:
        """The server's log (beside the data directory, which initdb wants empty)."""
        return self.data_dir.parent / f"{self.data_dir.name}.log"

    def stop(self) -> None:
        """Stop the server (fast shutdown)."""
        self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")

    def password(self, role: str) -> str:
        """The generated password of ``role``."""
        return self._passwords[role]

    def url(self, database: str = "postgres", *, user: str | None = None) -> str:
        """A SQLAlchemy URL (psycopg 3) for ``database`` as ``user`` (the superuser by default)."""
        user = user or self.superuser
        return f"postgresql+psycopg://{user}:{self.password(user)}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = "postgres", *, user: str | None = None) -> str:
        """A libpq DSN for ``database`` as ``user`` (the superuser by default)."""
        user = user or self.superuser
        return f"postgresql://{user}:{self.password(user)}@127.0.0.1:{self.port}/{database}"

    def module_url(self, module: str) -> str:
        """The server URL ``module``'s service uses: its own role, no admin rights."""
        return self.url(user=module_role(module))

    def operator_dsn(self, database: str = "postgres") -> str:
        """What the operator provisions with: CREATEDB and CREATEROLE, no superuser."""
        return self.dsn(database, user=OPERATOR_ROLE)

    @property
    def app_url(self) -> str:
        """The server URL of modules that exist only in tests (``APP_ROLE``)."""
        return self.url(user=APP_ROLE)

    def ensure_roles(self) -> None:
        """Every module's role (may log in, owns its databases, nothing more), the
        operator's (CREATEDB, CREATEROLE, a member of each module role so it may create,
        dump and drop their databases) and the test modules' role."""
        import psycopg
        from psycopg import sql

        modules = [module_role(m) for m in MODULES]
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            for role in [*modules, APP_ROLE, OPERATOR_ROLE]:
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                if exists.fetchone() is None:
                    conn.execute(
                        sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                            sql.Identifier(role), sql.Literal(self.password(role))
                        )
                    )
            conn.execute(
                sql.SQL("ALTER ROLE {} CREATEDB CREATEROLE").format(sql.Identifier(OPERATOR_ROLE))
            )
            for role in [*modules, APP_ROLE]:
                conn.execute(
                    sql.SQL("GRANT {} TO {}").format(
                        sql.Identifier(role), sql.Identifier(OPERATOR_ROLE)
                    )
                )

    def create_database(
        self, name: str, *, owner: str = APP_ROLE, template: str | None = None
    ) -> None:
        """Create ``name`` owned by ``owner`` unless it exists, copied from ``template``
        when given (which must then have no session open); only its owner (and the
        operator, acting for it) may connect."""
        import psycopg
        from psycopg import sql

        create = sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(owner)
        )
        if template is not None:
            create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(create)
            conn.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(
                    sql.Identifier(name)
                )
            )
