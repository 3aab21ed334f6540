"""Lead search ignores case and accents (``q=pao`` finds "Padaria Pão Quente"), and a
trigram index over the folded text serves it."""

from __future__ import annotations

import psycopg
from mosaico_crm.main import TENANT_MIGRATIONS
from mosaico_crm.models import Lead
from mosaico_shared.migrations import upgrade_database
from mosaico_shared.search import folded_contains, searchable_text
from sqlalchemy import select
from sqlalchemy.dialects import postgresql

from tests.services.crm.factories import LEADS, admin


def test_search_ignores_accents_and_case(make_crm_tenant, crm):
    seller = admin(crm, make_crm_tenant())
    bakery = seller.create_lead(name="Carla Mendes", company="Padaria Pão Quente LTDA")
    cafe = seller.create_lead(name="José Antônio", company="Café São João", email="ze@cafe.com.br")
    seller.create_lead(name="Outro", company="Mercado Central")

    def found(q: str) -> list[str]:
        response = seller.get(LEADS, params={"q": q})
        assert response.status_code == 200, response.text
        return [lead["id"] for lead in response.json()["items"]]

    assert found("pao") == [bakery["id"]]
    assert found("PÃO quente") == [bakery["id"]]
    assert found("jose antonio") == [cafe["id"]]
    assert found("SAO JOAO") == [cafe["id"]]
    assert found("ZE@CAFE") == [cafe["id"]]
    assert found("100%") == []
    assert found("pa_o") == []


def test_the_folded_search_is_served_by_its_index(postgres):
    postgres.create_database("crm_search_plan")
    upgrade_database(TENANT_MIGRATIONS, postgres.url("crm_search_plan", user="mosaico"))
    # The very filter the lead listing applies, compiled as it reaches PostgreSQL.
    searched = select(Lead.id).where(
        Lead.deleted_at.is_(None),
        folded_contains(searchable_text(Lead.name, Lead.company, Lead.email), "pao"),
    )
    sql = str(
        searched.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    )
    with psycopg.connect(postgres.dsn("crm_search_plan"), autocommit=True) as db:
        stage = db.execute(
            "INSERT INTO stages (id, name, kind, position)"
            " VALUES (gen_random_uuid(), 'Novo', 'open', 0) RETURNING id"
        ).fetchone()[0]
        db.execute(
            "INSERT INTO leads (id, name, company, owner_id, created_by, stage_id, status,"
            " estimated_value, tags) SELECT gen_random_uuid(), 'Cliente ' || n, 'Empresa ' || n,"
            " gen_random_uuid(), gen_random_uuid(), %s, 'open', 0, '{}'"
            " FROM generate_series(1, 5000) n",
            (stage,),
        )
        db.execute("ANALYZE leads")
        plan = "\n".join(row[0] for row in db.execute(f"EXPLAIN {sql}"))
    assert "ix_leads_search" in plan, plan
