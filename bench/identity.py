"""identity: ``GET /identity/v1/me`` beside its lean baseline (the same row read by
primary key, the same JSON, no token), logins under argon2id, and how many logins a
second one core can verify at the parameters identity hashes with.

Run: ``uv run --group bench python bench/run.py identity`` (or ``make bench``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

sys.path.insert(0, str(Path(__file__).parent))

import harness
from harness import Load, Section, compare, lean_server, platform, ratios, row_database, table
from mosaico_shared.tenancy.names import database_name
from tenants import ADMIN, TENANT, provision


def argon2_per_core(seconds: float = 3.0) -> tuple[PasswordHasher, float]:
    """Verifications per second on one core with identity's hasher's parameters."""
    from mosaico_identity import passwords

    hasher: PasswordHasher = passwords._hasher
    stored = hasher.hash(ADMIN["password"])
    done, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        hasher.verify(stored, ADMIN["password"])
        done += 1
    return hasher, done / (time.process_time() - started)


def main() -> str:
    section = Section("identity: /me and login", "The lean baseline reads the same row by id.")
    with platform() as (postgres, services):
        identity = services["identity"]
        tenant = provision(postgres, identity.url, {})
        dsn = postgres.dsn(database_name("identity", TENANT), user="identity")
        with lean_server(row=row_database(postgres), identity=dsn) as lean:
            me = httpx.get(f"{identity.url}/identity/v1/me", headers=tenant.auth, timeout=30)
            me.raise_for_status()
            bare = httpx.get(f"{lean.url}/identity/users/{tenant.user_id}", timeout=30)
            bare.raise_for_status()
            harness.same_json(me.json(), bare.json(), "identity /me and its lean baseline")
            idle = harness.rss_mib(identity.process.pid)[0]
            body = {"tenant": TENANT, "login": ADMIN["email"], "password": ADMIN["password"]}
            results = compare([
                Load("lean: ping", lean.url, "/ping", pid=lean.pid),
                Load("lean: one primary-key read", lean.url, "/row", pid=lean.pid),
                Load("lean: the user by id", lean.url, f"/identity/users/{tenant.user_id}",
                     pid=lean.pid),
                Load("identity GET /identity/v1/me", identity.url, "/identity/v1/me",
                     headers=tenant.auth, pid=identity.process.pid),
                # Logins are argon2id-bound by design; fewer clients keep the run short.
                Load("identity POST /identity/v1/auth/login (argon2id)", identity.url,
                     "/identity/v1/auth/login", method="POST", json_body=body, concurrency=4,
                     pid=identity.process.pid),
            ])  # fmt: skip
            loaded = harness.rss_mib(identity.process.pid)
    hasher, per_core = argon2_per_core(1.0 if harness.CONFIG.quick else 3.0)
    me_name = "identity GET /identity/v1/me"
    return section.render(
        *table(results),
        *ratios(
            results,
            [(me_name, "lean: the user by id"), (me_name, "lean: one primary-key read")],
        ),
        "",
        f"argon2id at identity's parameters (time_cost={hasher.time_cost}, "
        f"memory_cost={hasher.memory_cost} KiB, parallelism={hasher.parallelism}): "
        f"**{per_core:.1f} verifications/s per core** (CPU time, in this process), so one "
        f"core admits about {per_core:.0f} logins a second.",
        "",
        f"identity RSS: {idle:.0f} MiB idle, {loaded[0]:.0f} MiB after the load "
        f"(peak {loaded[1]:.0f} MiB).",
    )


if __name__ == "__main__":
    harness.CONFIG.command = "uv run --group bench python bench/identity.py"
    print(main())
