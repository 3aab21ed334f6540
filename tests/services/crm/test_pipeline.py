"""The pipeline: seeded at onboarding, then renamed, reordered, extended, archived."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from mosaico_crm.main import TENANT_MIGRATIONS
from mosaico_shared.migrations import alembic_config

from tests.fixtures.tenants import INTERNAL
from tests.services.crm.factories import LEADS, STAGES, admin, problem


def test_onboarding_seeds_the_default_stages_once(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    stages = boss.get(STAGES).json()
    assert [(s["name"], s["kind"], s["position"]) for s in stages] == [
        ("Novo", "open", 0),
        ("Qualificado", "open", 1),
        ("Proposta", "open", 2),
        ("Negociação", "open", 3),
        ("Ganho", "won", 4),
        ("Perdido", "lost", 5),
    ]
    boss.patch(f"{STAGES}/{stages[0]['id']}", json={"name": "Entrada"})
    again = crm.post(f"/crm/internal/tenants/{tenant.slug}/onboard", headers=INTERNAL)
    assert again.status_code == 200
    head = ScriptDirectory.from_config(alembic_config(TENANT_MIGRATIONS, "")).get_current_head()
    assert again.json()["schema_version"] == head
    assert next(s["name"] for s in boss.get(STAGES).json()) == "Entrada"
    assert len(boss.get(STAGES).json()) == 6


def test_a_new_open_stage_goes_before_the_closing_ones_unless_placed(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    added = boss.post(STAGES, json={"name": "Demonstração"})
    assert added.status_code == 201, added.text
    placed = boss.post(STAGES, json={"name": "Triagem", "position": 0})
    assert placed.status_code == 201, placed.text
    assert [s["name"] for s in boss.get(STAGES).json()] == [
        "Triagem", "Novo", "Qualificado", "Proposta", "Negociação", "Demonstração", "Ganho", "Perdido",
    ]  # fmt: skip
    assert [s["position"] for s in boss.get(STAGES).json()] == list(range(8))


def test_stage_names_are_unique_among_active_stages(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    problem(boss.post(STAGES, json={"name": "novo"}), 409)
    proposta = boss.stages()["Proposta"]["id"]
    problem(boss.patch(f"{STAGES}/{proposta}", json={"name": "NOVO"}), 409)
    renamed = boss.patch(f"{STAGES}/{proposta}", json={"name": "  Orçamento  "})
    assert renamed.json()["name"] == "Orçamento"


def test_reordering_needs_every_active_stage_exactly_once(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    ids = [s["id"] for s in boss.get(STAGES).json()]
    new_order = [ids[1], ids[0], *ids[2:]]
    response = boss.put(f"{STAGES}/order", json={"stage_ids": new_order})
    assert response.status_code == 200, response.text
    assert [s["id"] for s in boss.get(STAGES).json()] == new_order
    problem(boss.put(f"{STAGES}/order", json={"stage_ids": ids[:-1]}), 409)
    problem(boss.put(f"{STAGES}/order", json={"stage_ids": [*ids, ids[0]]}), 422)


def test_a_stage_with_open_leads_cannot_be_archived(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    stages = boss.stages()
    lead = boss.create_lead(stage_id=stages["Qualificado"]["id"])
    refused = problem(boss.post(f"{STAGES}/{stages['Qualificado']['id']}/archive"), 409)
    assert refused["open_leads"] == 1
    boss.move(lead["id"], stages["Proposta"]["id"])
    archived = boss.post(f"{STAGES}/{stages['Qualificado']['id']}/archive")
    assert archived.status_code == 200
    assert archived.json()["archived_at"]
    assert "Qualificado" not in boss.stages()
    everything = boss.get(STAGES, params={"include_archived": True}).json()
    assert everything[-1]["name"] == "Qualificado"


def test_no_lead_enters_an_archived_stage(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    stages = boss.stages()
    boss.post(f"{STAGES}/{stages['Negociação']['id']}/archive")
    lead = boss.create_lead()
    problem(boss.move(lead["id"], stages["Negociação"]["id"]), 409)
    problem(boss.post(LEADS, json={"name": "X", "stage_id": stages["Negociação"]["id"]}), 409)
    problem(boss.patch(f"{STAGES}/{stages['Negociação']['id']}", json={"name": "Y"}), 409)


def test_the_last_won_stage_cannot_be_archived(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    problem(boss.post(f"{STAGES}/{boss.stages()['Ganho']['id']}/archive"), 409)


def test_unknown_stages_are_404_in_the_path(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    unknown = "00000000-0000-4000-8000-000000000000"
    problem(boss.patch(f"{STAGES}/{unknown}", json={"name": "X"}), 404)
    problem(boss.post(f"{STAGES}/{unknown}/archive"), 404)
    problem(boss.post(f"{STAGES}/not-a-uuid/archive"), 422)
