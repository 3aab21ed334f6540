"""``make up``: every module on this machine, with a demo tenant ready to log in.

PostgreSQL and NATS (JetStream) run from ``.cache/devstack`` (kept between runs); each
module is a uvicorn process on its own port, told where NATS is; notifications sends
its e-mail to an SMTP server in this process that keeps every message in a Maildir
(``.cache/devstack/mail``); the demo tenant is provisioned through the same internal
APIs the operator uses.

Ctrl-C (SIGINT to the whole process group, which ``uv run`` forwards once more),
SIGTERM and SIGHUP all stop everything, PostgreSQL included; further signals during
that cleanup are ignored rather than cutting it short. A server a killed run left
behind in the state folder is stopped before a new one starts.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType

from mosaico_devstack.callers import OPERATOR, LocalCallers
from mosaico_devstack.demo import DEMO_ADMIN, check_demo_login, provision_demo_tenant
from mosaico_devstack.mail import MailSink
from mosaico_devstack.nats import LocalNats
from mosaico_devstack.ports import PortTaken, free_port, reserve_port
from mosaico_devstack.postgres import LocalPostgres, module_role
from mosaico_devstack.services import ServiceProcess, installed_modules, start_service

# identity stores its signing keys encrypted with it, as it does in a cluster.
SIGNING_KEY_PASSPHRASE = "local-signing-key-passphrase-not-for-production"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
#: Where the running stack is (URLs, PostgreSQL's port), for ``make tenant``.
STACK_FILE = "stack.json"
#: notifications seals tenants' provider secrets with it; kept, so they open next time.
PROVIDER_KEY_FILE = "notifications-provider-key"
#: identity seals invite and reset tokens with it, notifications opens them.
SEALING_KEY_FILE = "event-sealing-key"
NATS_PID_FILE = "nats.pid"


class StopRequested(BaseException):
    """A stop signal arrived (a BaseException, so no ``except Exception`` swallows it)."""


class Shutdown:
    """The first stop signal raises ``StopRequested``; once stopping has begun (by a
    signal or because the run is over), later signals are ignored."""

    def __init__(self) -> None:
        self.stopping = False

    def install(self) -> None:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)

    def begin(self) -> None:
        """Cleanup starts: from now on stop signals are ignored, by this process and by
        the tools it runs to clean up (``pg_ctl stop`` must not die half-way)."""
        self.stopping = True
        for signum in STOP_SIGNALS:
            signal.signal(signum, signal.SIG_IGN)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            return
        self.stopping = True
        raise StopRequested(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state", type=Path, default=Path(".cache/devstack"))
    parser.add_argument(
        "--base-port", type=int, default=8000, help="first module's port; 0 picks free ports"
    )
    parser.add_argument("--check", action="store_true", help="start, provision, then stop")
    args = parser.parse_args()
    shutdown = Shutdown()
    shutdown.install()
    state: Path = args.state.resolve()
    modules = installed_modules()
    services: list[ServiceProcess] = []
    postgres: LocalPostgres | None = None
    nats: LocalNats | None = None
    mail: MailSink | None = None
    listeners: dict[str, socket.socket] = {}
    status = 0
    try:
        listeners = _reserve_ports(modules, args.base_port)
        data_dir = state / "postgres"
        stop_stale_server(data_dir)
        postgres = LocalPostgres(data_dir, port=free_port()).start()
        postgres.create_database("identity_platform", owner=module_role("identity"))
        (state / "logs").mkdir(parents=True, exist_ok=True)
        stop_stale_nats(state / NATS_PID_FILE)
        nats = LocalNats(
            state / "nats", log_file=state / "logs" / "nats.log", pid_file=state / NATS_PID_FILE
        ).start()
        mail = MailSink(state / "mail").start()
        identity_port = listeners["identity"].getsockname()[1]
        callers = LocalCallers.ensure(state / "callers", modules)
        env = {
            "MOSAICO_SIGNING_KEY_PASSPHRASE": SIGNING_KEY_PASSPHRASE,
            "MOSAICO_IDENTITY_URL": f"http://127.0.0.1:{identity_port}",
            "MOSAICO_NATS_URL": nats.url,
            "MOSAICO_LOG_JSON": "false",
        }
        for module in modules:
            listener = listeners.pop(module)
            services.append(
                start_service(
                    module,
                    listener=listener,
                    env={
                        **env,
                        **callers.env_for(module),
                        **module_env(module, state, mail),
                        "MOSAICO_DATABASE_URL": postgres.module_url(module),
                    },
                    log_dir=state / "logs",
                )
            )
        urls = {s.module: s.url for s in services}
        provision_demo_tenant(postgres, urls, operator_tokens=callers.tokens_dir(OPERATOR))
        check_demo_login(urls)
        (state / STACK_FILE).write_text(
            json.dumps(
                {"urls": urls, "postgres_port": postgres.port, "nats_url": nats.url,
                 "smtp_port": mail.port, "maildir": str(state / "mail")},
                indent=2,
            )
        )  # fmt: skip
        _announce(urls, state, nats=nats, mail=mail)
        if not args.check:
            status = _watch(services, state)
    except StopRequested as stop:
        print(f"\nmake up: {stop} received, stopping.", flush=True)
    except PortTaken as taken:
        print(f"make up: {taken}", file=sys.stderr, flush=True)
        status = 1
    finally:
        shutdown.begin()
        (state / STACK_FILE).unlink(missing_ok=True)
        for listener in listeners.values():
            listener.close()
        _each([service.stop for service in reversed(services)])
        if mail is not None:
            _each([mail.stop])
        if nats is not None:
            _each([nats.stop])
        if postgres is not None:
            _each([lambda: stop_postgres(postgres)])
    return status


def module_env(module: str, state: Path, mail: MailSink) -> dict[str, str]:
    """What one module needs besides what they all get: identity seals the tokens of
    its events with a key notifications opens them with; notifications sends e-mail to
    the local SMTP server and seals provider secrets with a key of its own."""
    if module == "identity":
        return {"MOSAICO_EVENT_SEALING_KEYS": kept_key(state / SEALING_KEY_FILE)}
    if module != "notifications":
        return {}
    return {
        "MOSAICO_EVENT_SEALING_KEYS": kept_key(state / SEALING_KEY_FILE),
        "MOSAICO_SMTP_HOST": "127.0.0.1",
        "MOSAICO_SMTP_PORT": str(mail.port),
        "MOSAICO_SMTP_SECURITY": "none",
        "MOSAICO_PROVIDER_SECRETS_KEY": kept_key(state / PROVIDER_KEY_FILE),
        # Tenants' webhooks and SMTP servers on this machine are the point of make up.
        "MOSAICO_ALLOW_PRIVATE_DESTINATIONS": "true",
    }


def kept_key(path: Path) -> str:
    """A random key made at the first run and kept in ``path`` (owner-only): what it
    encrypted stays readable the next time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(36))
    return path.read_text().strip()


def _reserve_ports(modules: list[str], base_port: int) -> dict[str, socket.socket]:
    """Every module's port, all taken before anything starts; ``PortTaken`` names the
    first one that is not free (and nothing is left bound)."""
    listeners: dict[str, socket.socket] = {}
    try:
        for offset, module in enumerate(modules):
            port = base_port + offset if base_port else 0
            listeners[module] = reserve_port(port, module)
    except PortTaken:
        for listener in listeners.values():
            listener.close()
        raise
    return listeners


def stop_postgres(postgres: LocalPostgres, *, timeout: float = 60.0) -> None:
    """``pg_ctl stop``; when that cannot run (its folder became unreachable for the
    server's user, say), the same fast shutdown by signal to the pid it recorded."""
    pid_file = postgres.data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        pid = None
    try:
        postgres.stop()
        return
    except RuntimeError:
        if pid is None:
            raise
    os.kill(pid, signal.SIGINT)  # PostgreSQL's "fast" shutdown
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise RuntimeError(f"PostgreSQL (pid {pid}) did not stop in {timeout}s")


def stop_stale_server(data_dir: Path) -> None:
    """Stop a PostgreSQL a previous run left running on ``data_dir`` (killed before it
    could clean up); a pid file whose server is gone is left to PostgreSQL itself."""
    if not (data_dir / "postmaster.pid").exists():
        return
    try:
        stop_postgres(LocalPostgres(data_dir))
        print(f"make up: stopped a PostgreSQL a previous run left in {data_dir}", flush=True)
    except (RuntimeError, ProcessLookupError, PermissionError):
        pass  # no server behind the pid file


def stop_stale_nats(pid_file: Path, *, timeout: float = 30.0) -> None:
    """Stop a nats-server a previous run left (its JetStream folder is this run's)."""
    try:
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return  # no pid file, or its server is gone
    if b"nats-server" not in command:
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
        time.sleep(0.1)
    print(f"make up: stopped a NATS server a previous run left (pid {pid})", flush=True)


def _watch(services: list[ServiceProcess], state: Path) -> int:
    """Wait while every module runs; a module that exits ends the run (status 1)."""
    while True:
        for service in services:
            if service.process.poll() is not None:
                print(
                    f"make up: {service.module} exited ({service.process.returncode}); "
                    f"see {state}/logs/{service.module}.log. Stopping.",
                    file=sys.stderr,
                    flush=True,
                )
                return 1
        time.sleep(0.5)


def _each(stops: Iterable[Callable[[], None]]) -> None:
    """Run every stop, reporting failures instead of giving up on the rest."""
    for stop in stops:
        try:
            stop()
        except Exception as exc:
            print(f"make up: while stopping: {exc}", file=sys.stderr, flush=True)


def _announce(urls: dict[str, str], state: Path, *, nats: LocalNats, mail: MailSink) -> None:
    print("\nMosaico is running.\n")
    for module, url in urls.items():
        print(f"  {module:<14} {url}/{module}/docs")
    print(f"  {'NATS':<14} {nats.url} (JetStream; the event log is stream MOSAICO_EVENTS)")
    print(
        f"  {'e-mail':<14} every message notifications sends stays in {state}/mail, a "
        f"Maildir: one file per message in {state}/mail/new (SMTP on 127.0.0.1:{mail.port})"
    )
    print(
        f"\nDemo login (tenant 'demo'):\n"
        f"  curl -s {urls['identity']}/identity/v1/auth/login -H 'content-type: application/json' \\\n"
        f'       -d \'{{"tenant": "demo", "login": "{DEMO_ADMIN["email"]}", '
        f'"password": "{DEMO_ADMIN["password"]}"}}\'\n'
        f"\nAnother tenant: make tenant FILE=manifests/samples/tenant.yaml\n"
        f"Logs: {state}/logs   Stop: Ctrl-C\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
