"""``make up``: every module on this machine, with a demo tenant ready to log in.

PostgreSQL runs from ``.cache/devstack`` (kept between runs); each module is a uvicorn
process on its own port; the demo tenant is provisioned through the same internal
APIs the operator uses.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from mosaico_devstack.demo import DEMO_ADMIN, check_demo_login, provision_demo_tenant
from mosaico_devstack.ports import free_port
from mosaico_devstack.postgres import LocalPostgres
from mosaico_devstack.services import ServiceProcess, installed_modules, start_service

INTERNAL_TOKEN = "local-internal-token-not-for-production"
# identity stores its signing keys encrypted with it, as it does in a cluster.
SIGNING_KEY_PASSPHRASE = "local-signing-key-passphrase-not-for-production"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state", type=Path, default=Path(".cache/devstack"))
    parser.add_argument(
        "--base-port", type=int, default=8000, help="first module's port; 0 picks free ports"
    )
    parser.add_argument("--check", action="store_true", help="start, provision, then stop")
    args = parser.parse_args()

    postgres = LocalPostgres(args.state.resolve() / "postgres", port=free_port()).start()
    postgres.create_database("identity_platform")
    modules = installed_modules()
    ports = {
        m: args.base_port + i if args.base_port else free_port() for i, m in enumerate(modules)
    }
    env = {
        "MOSAICO_DATABASE_URL": postgres.app_url,
        "MOSAICO_INTERNAL_TOKEN": INTERNAL_TOKEN,
        "MOSAICO_SIGNING_KEY_PASSPHRASE": SIGNING_KEY_PASSPHRASE,
        "MOSAICO_IDENTITY_URL": f"http://127.0.0.1:{ports['identity']}",
        "MOSAICO_LOG_JSON": "false",
    }
    services: list[ServiceProcess] = []
    try:
        for module in modules:
            services.append(
                start_service(module, port=ports[module], env=env, log_dir=args.state / "logs")
            )
        urls = {s.module: s.url for s in services}
        provision_demo_tenant(postgres, urls, internal_token=INTERNAL_TOKEN)
        check_demo_login(urls)
        _announce(urls, args.state)
        if not args.check:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while all(s.process.poll() is None for s in services):
                time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for service in services:
            service.stop()
        postgres.stop()
    return 0


def _announce(urls: dict[str, str], state: Path) -> None:
    print("\nMosaico is running.\n")
    for module, url in urls.items():
        print(f"  {module:<10} {url}/{module}/docs")
    print(
        f"\nDemo login (tenant 'demo'):\n"
        f"  curl -s {urls['identity']}/identity/v1/auth/login -H 'content-type: application/json' \\\n"
        f'       -d \'{{"tenant": "demo", "login": "{DEMO_ADMIN["email"]}", '
        f'"password": "{DEMO_ADMIN["password"]}"}}\'\n'
        f"\nLogs: {state}/logs   Stop: Ctrl-C\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
