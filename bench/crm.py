"""``GET /crm/v1/leads?limit=50`` over 10,000 leads beside its lean baseline and two
mainstream peers reading the same table.

A throwaway PostgreSQL, identity and crm run as real uvicorn processes; one tenant is
provisioned through the internal APIs like the operator does, its leads are inserted
with one SQL statement and analysed. Then, alternating, wrk reads the first page from:

* the lean baseline (``lean_app.py``): FastAPI + psycopg_pool + orjson, the same SQL
  and the same JSON, no auth, no tenancy;
* crm, with the admin's access token;
* Django REST Framework (``peers/drf``): a ModelViewSet with page-number pagination and
  token authentication, under gunicorn;
* FastAPI + SQLModel as the FastAPI full-stack template writes it (``peers/sqlmodel``):
  sync session, offset pagination, a JWT dependency;

every server with one worker process, all on the same table. Run:
``uv run --group bench python bench/run.py crm`` (or ``make bench``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).parent))

import harness
from harness import (
    CONFIG,
    Load,
    Section,
    compare,
    lean_server,
    platform,
    ratios,
    row_database,
    table,
)
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.tenancy.names import database_name
from peers import running_peers
from tenants import TENANT, provision

LEADS = 10_000
PAGE = "/crm/v1/leads?limit=50"


def insert_leads(postgres: LocalPostgres, owner_id: str, count: int, *, first: int = 1) -> None:
    """Leads number ``first`` to ``first + count - 1``: open, in the first stage, each
    with its creation in the history, created one second apart; then ``ANALYZE``, or the
    planner would not know the table it plans for."""
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
                       timestamptz '2026-01-01' + make_interval(secs => i),
                       timestamptz '2026-01-01' + make_interval(secs => i)
                FROM generate_series(%(first)s::int, %(last)s::int) AS i
                RETURNING id, stage_id, owner_id, created_at
            )
            INSERT INTO stage_moves (id, lead_id, to_stage_id, moved_by, moved_at)
            SELECT gen_random_uuid(), id, stage_id, owner_id, created_at FROM inserted
            """,
            {"owner": owner_id, "first": first, "last": first + count - 1},
        )
        db.execute("ANALYZE")


def first_pages_agree(crm_url: str, lean_url: str, auth: dict[str, str]) -> None:
    crm = httpx.get(crm_url + PAGE, headers=auth, timeout=30)
    crm.raise_for_status()
    lean = httpx.get(f"{lean_url}/crm/leads?limit=50", timeout=30)
    lean.raise_for_status()
    assert len(crm.json()["items"]) == 50, crm.text[:500]
    harness.same_json(crm.json(), lean.json(), "crm and its lean baseline")


def main() -> str:
    section = Section(
        f"crm: first page of 50 leads ({LEADS:,} leads), lean baseline and peers",
        "Same PostgreSQL table for all; one worker process each; peers authenticated.",
    )
    with platform("crm") as (postgres, services):
        crm_url = services["crm"].url
        tenant = provision(postgres, services["identity"].url, {"crm": crm_url})
        insert_leads(postgres, tenant.user_id, LEADS)
        crm_dsn = postgres.dsn(database_name("crm", TENANT), user="crm")
        with (
            lean_server(row=row_database(postgres), crm=crm_dsn) as lean,
            running_peers(crm_dsn) as peers,
        ):
            first_pages_agree(crm_url, lean.url, tenant.auth)
            crm_pid = services["crm"].process.pid
            crm_idle = harness.rss_mib(crm_pid)[0]
            loads = [
                Load("lean: ping", lean.url, "/ping", pid=lean.pid),
                Load("lean: one primary-key read", lean.url, "/row", pid=lean.pid),
                Load("lean: first page of leads", lean.url, "/crm/leads?limit=50", pid=lean.pid),
                Load(
                    "crm GET /crm/v1/leads?limit=50",
                    crm_url,
                    PAGE,
                    headers=tenant.auth,
                    pid=crm_pid,
                ),
                *(Load(p.name, p.url, p.path, headers=p.headers, pid=p.pid) for p in peers),
            ]
            results = compare(loads)
            crm_rss = harness.rss_mib(crm_pid)
            peer_rss = [(p.name, harness.rss_mib(p.pid)) for p in peers]
    crm = "crm GET /crm/v1/leads?limit=50"
    return section.render(
        *table(results),
        *ratios(
            results,
            [
                (crm, "lean: first page of leads"),
                *((crm, p.name) for p in peers),
                *((p.name, "lean: first page of leads") for p in peers),
            ],
        ),
        "",
        f"crm RSS: {crm_idle:.0f} MiB idle, {crm_rss[0]:.0f} MiB after the load "
        f"(peak {crm_rss[1]:.0f} MiB). "
        + " ".join(f"{name}: {rss[0]:.0f} MiB after the load." for name, rss in peer_rss),
    )


if __name__ == "__main__":
    CONFIG.command = "uv run --group bench python bench/crm.py"
    print(main())
