"""Activities on a lead: calls, meetings, e-mails, and tasks that get completed."""

from __future__ import annotations

from tests.services.crm.factories import LEADS, admin, member, problem


def test_activities_are_recorded_on_a_lead_in_order(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    path = f"{LEADS}/{lead['id']}/activities"
    for kind in ("call", "meeting", "email"):
        response = boss.post(path, json={"kind": kind, "subject": f"{kind} com cliente"})
        assert response.status_code == 201, response.text
        assert response.json()["created_by"] == boss.user_id
    assert [a["kind"] for a in boss.get(path).json()] == ["call", "meeting", "email"]


def test_a_task_has_a_due_date_and_is_completed_once(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    path = f"{LEADS}/{lead['id']}/activities"
    problem(boss.post(path, json={"kind": "task", "subject": "Enviar proposta"}), 422)
    task = boss.post(
        path,
        json={"kind": "task", "subject": "Enviar proposta", "due_at": "2026-12-01T15:00:00-03:00"},
    ).json()
    assert task["due_at"] == "2026-12-01T18:00:00Z"
    assert task["completed_at"] is None
    done = boss.post(f"{path}/{task['id']}/complete")
    assert done.status_code == 200, done.text
    assert done.json()["completed_by"] == boss.user_id
    problem(boss.post(f"{path}/{task['id']}/complete"), 409)


def test_only_tasks_are_completed_and_only_tasks_have_due_dates(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    lead = boss.create_lead()
    path = f"{LEADS}/{lead['id']}/activities"
    call = boss.post(path, json={"kind": "call", "subject": "Ligação"}).json()
    problem(boss.post(f"{path}/{call['id']}/complete"), 409)
    problem(
        boss.post(path, json={"kind": "call", "subject": "x", "due_at": "2026-12-01T15:00:00Z"}),
        422,
    )
    problem(
        boss.post(path, json={"kind": "task", "subject": "x", "due_at": "2026-12-01T15:00:00"}),
        422,
    )  # a due date without a time zone is ambiguous
    problem(boss.post(path, json={"kind": "visit", "subject": "x"}), 422)


def test_activities_follow_the_lead_visibility(make_crm_tenant, crm):
    tenant = make_crm_tenant()
    ana, bruno = member(crm, tenant, "user"), member(crm, tenant, "user")
    lead = ana.create_lead()
    path = f"{LEADS}/{lead['id']}/activities"
    task = ana.post(path, json={"kind": "task", "subject": "x", "due_at": "2026-12-01T15:00:00Z"})
    problem(bruno.get(path), 404)
    problem(bruno.post(path, json={"kind": "call", "subject": "x"}), 404)
    problem(bruno.post(f"{path}/{task.json()['id']}/complete"), 404)
    problem(ana.post(f"{LEADS}/{lead['id']}/activities/{lead['id']}/complete"), 404)
