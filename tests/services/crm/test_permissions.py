"""Roles: admins edit the pipeline, managers work with every lead, users with their own."""

from __future__ import annotations

import pytest

from tests.services.crm.factories import LEADS, STAGES, SUMMARY, admin, member, problem


@pytest.mark.parametrize("role", ["manager", "user"])
def test_only_admins_edit_the_pipeline(make_crm_tenant, crm, role):
    tenant = make_crm_tenant()
    someone = member(crm, tenant, role)
    stages = someone.stages()  # everyone may read it
    stage_id = stages["Proposta"]["id"]
    problem(someone.post(STAGES, json={"name": "Demo"}), 403)
    problem(someone.patch(f"{STAGES}/{stage_id}", json={"name": "Orçamento"}), 403)
    problem(someone.post(f"{STAGES}/{stage_id}/archive"), 403)
    order = [s["id"] for s in reversed(stages.values())]
    problem(someone.put(f"{STAGES}/order", json={"stage_ids": order}), 403)
    assert (
        admin(crm, tenant).patch(f"{STAGES}/{stage_id}", json={"name": "Orçamento"}).status_code
        == 200
    )


def test_only_admins_and_managers_delete_leads(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    seller = member(crm, tenant, "user")
    manager = member(crm, tenant, "manager")
    first, second = seller.create_lead(), seller.create_lead()
    problem(seller.delete(f"{LEADS}/{first['id']}"), 403)
    assert manager.delete(f"{LEADS}/{first['id']}").status_code == 204
    assert admin(crm, tenant).delete(f"{LEADS}/{second['id']}").status_code == 204


def test_a_user_works_only_with_the_leads_they_own(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    ana, bruno = member(crm, tenant, "user"), member(crm, tenant, "user")
    lead_of_ana = ana.create_lead()
    path = f"{LEADS}/{lead_of_ana['id']}"
    assert [i["id"] for i in bruno.get(LEADS).json()["items"]] == []
    problem(bruno.get(path), 404)
    problem(bruno.patch(path, json={"notes": "meu agora"}), 404)
    problem(bruno.move(lead_of_ana["id"], bruno.stages()["Proposta"]["id"]), 404)
    assert ana.patch(path, json={"notes": "ok"}).status_code == 200


def test_a_user_may_not_give_leads_to_others_but_a_manager_may(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    ana, bruno = member(crm, tenant, "user"), member(crm, tenant, "user")
    manager = member(crm, tenant, "manager")
    problem(ana.post(LEADS, json={"name": "X", "owner_id": bruno.user_id}), 403)
    lead = ana.create_lead()
    problem(ana.patch(f"{LEADS}/{lead['id']}", json={"owner_id": bruno.user_id}), 403)
    moved = manager.patch(f"{LEADS}/{lead['id']}", json={"owner_id": bruno.user_id})
    assert moved.status_code == 200, moved.text
    assert bruno.get(f"{LEADS}/{lead['id']}").status_code == 200
    problem(ana.get(f"{LEADS}/{lead['id']}"), 404)


def test_managers_see_every_lead(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    ana, manager = member(crm, tenant, "user"), member(crm, tenant, "manager")
    lead = ana.create_lead()
    assert lead["id"] in [i["id"] for i in manager.get(LEADS).json()["items"]]
    assert manager.move(lead["id"], manager.stages()["Qualificado"]["id"]).status_code == 200


def test_the_pipeline_summary_is_for_managers_and_admins(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    problem(member(crm, tenant, "user").get(SUMMARY), 403)
    assert member(crm, tenant, "manager").get(SUMMARY).status_code == 200
    assert admin(crm, tenant).get(SUMMARY).status_code == 200


def test_without_a_token_every_endpoint_answers_401(crm):
    for path in (LEADS, STAGES, SUMMARY):
        problem(crm.get(path), 401)
    problem(crm.get(LEADS, headers={"Authorization": "Bearer not-a-jwt"}), 401)
