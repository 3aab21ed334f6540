"""``GET /crm/v1/leads?limit=50`` over 10k leads against a bare FastAPI endpoint.

A throwaway PostgreSQL, identity and crm run as real uvicorn processes; one tenant is
provisioned through the internal APIs like the operator does, its leads are inserted
with one SQL statement, then N concurrent httpx clients read the first page for a
fixed time. Run: ``uv run python bench/crm.py [--concurrency 16 --duration 10]``
(or ``make bench``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).parent))

from harness import baseline_database, baseline_server, measure, platform, summarize
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.callers import caller_headers

TENANT = "bench"
LEADS = 10_000
ADMIN = {"full_name": "Bench Admin", "cpf": "52998224725", "email": "admin@bench.dev",
         "password": "bench-password-1"}  # fmt: skip


def provision(postgres: LocalPostgres, identity_url: str, crm_url: str) -> tuple[str, str]:
    """The tenant with identity and crm, onboarded; returns (access token, admin's user id)."""
    for module in ("identity", "crm"):
        postgres.create_database(database_name(module, TENANT), owner=module)
    internal = caller_headers("operator")
    with httpx.Client(headers=internal, timeout=60) as http:
        http.put(f"{identity_url}/identity/internal/tenants/{TENANT}", json={
            "display_name": "Bench LTDA", "cnpj": "11222333000181", "plan": "empresa",
            "modules": ["identity", "crm"]}).raise_for_status()  # fmt: skip
        http.post(f"{identity_url}/identity/internal/tenants/{TENANT}/onboard").raise_for_status()
        http.post(f"{crm_url}/crm/internal/tenants/{TENANT}/onboard").raise_for_status()
        http.put(f"{identity_url}/identity/internal/tenants/{TENANT}/admin", json=ADMIN
                 ).raise_for_status()  # fmt: skip
        login = http.post(f"{identity_url}/identity/v1/auth/login", json={
            "tenant": TENANT, "login": ADMIN["email"], "password": ADMIN["password"]})  # fmt: skip
        login.raise_for_status()
        token = str(login.json()["access_token"])
        me = http.get(
            f"{identity_url}/identity/v1/me", headers={"Authorization": f"Bearer {token}"}
        )
        me.raise_for_status()
        return token, str(me.json()["id"])


def insert_leads(postgres: LocalPostgres, owner_id: str, count: int = LEADS) -> None:
    """``count`` open leads in the first stage, each with its creation in the history."""
    with psycopg.connect(postgres.dsn(database_name("crm", TENANT)), autocommit=True) as db:
        db.execute(
            """
            WITH first_stage AS (
                SELECT id FROM stages WHERE kind = 'open' AND archived_at IS NULL
                ORDER BY position LIMIT 1
            ), inserted AS (
                INSERT INTO leads (id, name, company, email, phone, source, estimated_value,
                                   owner_id, created_by, tags, stage_id, status,
                                   created_at, updated_at)
                SELECT gen_random_uuid(), 'Lead ' || i, 'Empresa ' || i || ' LTDA',
                       'lead' || i || '@bench.dev', '+5511987654321', 'bench',
                       (i %% 100000) / 100.0, %(owner)s, %(owner)s, ARRAY['bench'],
                       (SELECT id FROM first_stage), 'open',
                       now() - make_interval(secs => %(count)s - i),
                       now() - make_interval(secs => %(count)s - i)
                FROM generate_series(1, %(count)s) AS i
                RETURNING id, stage_id, owner_id, created_at
            )
            INSERT INTO stage_moves (id, lead_id, to_stage_id, moved_by, moved_at)
            SELECT gen_random_uuid(), id, stage_id, owner_id, created_at FROM inserted
            """,
            {"owner": owner_id, "count": count},
        )
        db.execute("ANALYZE")


def main(concurrency: int = 16, duration: float = 10.0) -> str:
    with (
        platform("crm") as (postgres, services),
        baseline_server(baseline_database(postgres)) as baseline_url,
    ):
        crm_url = services["crm"].url
        token, owner_id = provision(postgres, services["identity"].url, crm_url)
        insert_leads(postgres, owner_id)
        auth = {"Authorization": f"Bearer {token}"}
        first_page = httpx.get(f"{crm_url}/crm/v1/leads?limit=50", headers=auth, timeout=30)
        first_page.raise_for_status()
        assert len(first_page.json()["items"]) == 50, first_page.text
        baseline = measure("bare FastAPI GET /ping (baseline)", baseline_url,
                           "/ping",
                           concurrency=concurrency, duration=duration)  # fmt: skip
        db_baseline = measure("bare FastAPI + one SQLAlchemy PK read (baseline)", baseline_url,
                              "/row", concurrency=concurrency, duration=duration)  # fmt: skip
        leads = measure(f"GET /crm/v1/leads?limit=50 ({LEADS:,} leads, token, tenant DB)",
                        crm_url, "/crm/v1/leads?limit=50", headers=auth,
                        concurrency=concurrency, duration=duration)  # fmt: skip
    heading = f"### crm\n\n{concurrency} concurrent clients, {duration:.0f} s each.\n\n"
    return heading + summarize([leads], baseline, db_baseline)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args()
    print(main(args.concurrency, args.duration))
