"""Login and authenticated ``GET /identity/v1/me`` against a bare FastAPI endpoint.

Run: ``uv run python bench/identity.py`` (or ``make bench``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))

from harness import baseline_database, baseline_server, measure, platform, summarize
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.callers import caller_headers

TENANT = "bench"
ADMIN = {"full_name": "Bench Admin", "cpf": "52998224725", "email": "admin@bench.dev",
         "password": "bench-password-1"}  # fmt: skip


def provision(postgres, identity_url: str) -> str:
    postgres.create_database(database_name("identity", TENANT), owner="identity")
    headers = caller_headers("operator")
    with httpx.Client(base_url=identity_url, headers=headers, timeout=30) as http:
        http.put(f"/identity/internal/tenants/{TENANT}", json={
            "display_name": "Bench LTDA", "cnpj": "11222333000181", "plan": "empresa",
            "modules": ["identity"]}).raise_for_status()  # fmt: skip
        http.post(f"/identity/internal/tenants/{TENANT}/onboard").raise_for_status()
        http.put(f"/identity/internal/tenants/{TENANT}/admin", json=ADMIN).raise_for_status()
        login = http.post("/identity/v1/auth/login", json={
            "tenant": TENANT, "login": ADMIN["email"], "password": ADMIN["password"]})  # fmt: skip
        login.raise_for_status()
        return str(login.json()["access_token"])


def main() -> str:
    with (
        platform() as (postgres, services),
        baseline_server(baseline_database(postgres)) as baseline_url,
    ):
        return _measure(postgres, services, baseline_url)


def _measure(postgres, services, baseline_url: str) -> str:
    identity_url = services["identity"].url
    token = provision(postgres, identity_url)
    auth = {"Authorization": f"Bearer {token}"}
    body = {"tenant": TENANT, "login": ADMIN["email"], "password": ADMIN["password"]}
    baseline = measure("bare FastAPI GET /ping (baseline)", baseline_url, "/ping")
    db_baseline = measure("bare FastAPI + one SQLAlchemy PK read (baseline)", baseline_url, "/row")
    me = measure("GET /identity/v1/me (token verified, tenant DB read)", identity_url,
                 "/identity/v1/me", headers=auth)  # fmt: skip
    # Logins are argon2id-bound by design; fewer clients keep the run short.
    login = measure("POST /identity/v1/auth/login (argon2id)", identity_url,
                    "/identity/v1/auth/login", method="POST", json_body=body,
                    concurrency=4)  # fmt: skip
    return "### identity\n\n" + summarize([me, login], baseline, db_baseline)


if __name__ == "__main__":
    print(main())
