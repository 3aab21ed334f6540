"""Moving leads through the pipeline: history, winning and losing with a reason."""

from __future__ import annotations

from tests.services.crm.factories import LEADS, admin, member, problem


def test_moving_a_lead_records_who_moved_it_when_and_from_where(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    creator, manager = member(crm, tenant, "user"), member(crm, tenant, "manager")
    stages = creator.stages()
    lead = creator.create_lead()
    moved = manager.move(lead["id"], stages["Proposta"]["id"], reason="pediu orçamento")
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage_id"] == stages["Proposta"]["id"]
    history = creator.get(f"{LEADS}/{lead['id']}/history").json()
    assert [(h["from_stage_name"], h["to_stage_name"]) for h in history] == [
        (None, "Novo"),
        ("Novo", "Proposta"),
    ]
    assert history[0]["moved_by"] == creator.user_id
    assert history[1]["moved_by"] == manager.user_id
    assert history[1]["reason"] == "pediu orçamento"
    assert history[0]["moved_at"] <= history[1]["moved_at"]


def test_moving_to_the_won_stage_closes_the_lead_with_the_reason(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    stages = boss.stages()
    lead = boss.create_lead()
    won = boss.move(lead["id"], stages["Ganho"]["id"], reason="contrato assinado").json()
    assert (won["status"], won["close_reason"]) == ("won", "contrato assinado")
    assert won["closed_at"] is not None


def test_win_and_lose_move_the_lead_to_the_closing_stages(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    stages = boss.stages()
    lead = boss.create_lead()
    lost = boss.post(f"{LEADS}/{lead['id']}/lose", json={"reason": "preço alto"})
    assert lost.status_code == 200, lost.text
    assert lost.json()["stage_id"] == stages["Perdido"]["id"]
    assert (lost.json()["status"], lost.json()["close_reason"]) == ("lost", "preço alto")
    problem(boss.post(f"{LEADS}/{lead['id']}/lose", json={"reason": "de novo"}), 409)
    won = boss.post(f"{LEADS}/{lead['id']}/win", json={"reason": "voltou e fechou"}).json()
    assert (won["stage_id"], won["status"]) == (stages["Ganho"]["id"], "won")
    history = boss.get(f"{LEADS}/{lead['id']}/history").json()
    assert [h["to_stage_name"] for h in history] == ["Novo", "Perdido", "Ganho"]
    assert history[-1]["reason"] == "voltou e fechou"


def test_a_closed_lead_moved_back_to_an_open_stage_is_reopened(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    boss.post(f"{LEADS}/{lead['id']}/lose", json={"reason": "sumiu"})
    reopened = boss.move(lead["id"], boss.stages()["Negociação"]["id"]).json()
    assert (reopened["status"], reopened["close_reason"], reopened["closed_at"]) == (
        "open", None, None,
    )  # fmt: skip


def test_win_and_lose_need_a_reason(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}):
        problem(boss.post(f"{LEADS}/{lead['id']}/win", json=body), 422)


def test_moving_to_the_stage_the_lead_is_in_is_a_conflict(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    problem(boss.move(lead["id"], lead["stage_id"]), 409)
    assert len(boss.get(f"{LEADS}/{lead['id']}/history").json()) == 1


def test_an_unknown_stage_is_a_422_and_an_unknown_lead_a_404(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    unknown = "00000000-0000-4000-8000-000000000000"
    assert "stage_id" in problem(boss.move(lead["id"], unknown), 422)["detail"]
    problem(boss.move(unknown, lead["stage_id"]), 404)
    problem(boss.get(f"{LEADS}/{unknown}/history"), 404)


def test_a_new_lead_cannot_start_closed(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    ganho = boss.stages()["Ganho"]["id"]
    problem(boss.post(LEADS, json={"name": "X", "stage_id": ganho}), 422)
