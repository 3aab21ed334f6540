"""Tenants never see each other's data, even by guessing ids."""

from __future__ import annotations

from tests.services.crm.factories import LEADS, STAGES, admin, problem


def test_tenant_b_never_sees_tenant_a_leads_even_by_id(make_crm_tenant, crm):
    a, b = admin(crm, make_crm_tenant()), admin(crm, make_crm_tenant())
    lead = a.create_lead(name="Segredo de A")
    assert b.get(LEADS).json()["items"] == []
    assert b.get(LEADS, params={"q": "Segredo"}).json()["items"] == []
    path = f"{LEADS}/{lead['id']}"
    problem(b.get(path), 404)
    problem(b.patch(path, json={"name": "roubado"}), 404)
    problem(b.delete(path), 404)
    problem(b.get(f"{path}/history"), 404)
    problem(b.get(f"{path}/activities"), 404)
    problem(b.post(f"{path}/win", json={"reason": "x"}), 404)
    problem(b.post(f"{path}/activities", json={"kind": "call", "subject": "oi"}), 404)
    assert a.get(path).json()["name"] == "Segredo de A"


def test_each_tenant_has_its_own_pipeline(make_crm_tenant, crm):
    a, b = admin(crm, make_crm_tenant()), admin(crm, make_crm_tenant())
    stage_of_a = a.stages()["Proposta"]["id"]
    assert stage_of_a not in {s["id"] for s in b.stages().values()}
    lead_of_b = b.create_lead()
    problem(b.move(lead_of_b["id"], stage_of_a), 422)
    problem(b.patch(f"{STAGES}/{stage_of_a}", json={"name": "Hack"}), 404)
    assert "Proposta" in a.stages()
