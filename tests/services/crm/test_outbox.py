"""Events go to the outbox in the transaction of the change, and only when it commits."""

from __future__ import annotations

from tests.services.crm.factories import LEADS, STAGES, admin, crm_database, member, problem


def _events(db) -> list[tuple]:
    return db.execute(
        "SELECT type, subject, payload, published_at, xmin::text::bigint FROM outbox"
        " ORDER BY created_at, type"
    ).fetchall()


def test_creating_a_lead_writes_lead_created_in_the_same_transaction(
    make_crm_tenant, crm, postgres
):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    lead = boss.create_lead(estimated_value="0.30")
    with crm_database(postgres, tenant) as db:
        [(kind, subject, payload, published_at, xid)] = _events(db)
        lead_xid = db.execute(
            "SELECT xmin::text::bigint FROM leads WHERE id = %s", [lead["id"]]
        ).fetchone()[0]
    assert kind == "LeadCreated"
    assert subject == f"mosaico.{tenant.slug}.crm.lead_created"
    assert payload["lead_id"] == lead["id"]
    assert payload["estimated_value"] == "0.30"
    assert payload["created_by"] == boss.user_id
    assert published_at is None
    assert xid == lead_xid  # written by the very transaction that inserted the lead


def test_moves_and_closing_write_their_events_with_the_history_row(make_crm_tenant, crm, postgres):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    lead = boss.create_lead()
    boss.move(lead["id"], boss.stages()["Proposta"]["id"])
    boss.post(f"{LEADS}/{lead['id']}/win", json={"reason": "fechou"})
    other = boss.create_lead()
    boss.post(f"{LEADS}/{other['id']}/lose", json={"reason": "caro"})
    with crm_database(postgres, tenant) as db:
        events = _events(db)
        win_xid = db.execute(
            "SELECT m.xmin::text::bigint FROM stage_moves m JOIN stages s ON s.id = m.to_stage_id"
            " WHERE m.lead_id = %s AND s.kind = 'won'",
            [lead["id"]],
        ).fetchone()[0]
    types = [e[0] for e in events]
    assert sorted(types) == sorted(
        ["LeadCreated", "LeadStageChanged", "LeadStageChanged", "LeadWon",
         "LeadCreated", "LeadStageChanged", "LeadLost"]
    )  # fmt: skip
    won = next(e for e in events if e[0] == "LeadWon")
    assert won[1] == f"mosaico.{tenant.slug}.crm.lead_won"
    assert won[2]["reason"] == "fechou"
    assert won[2]["closed_by"] == boss.user_id
    assert won[4] == win_xid
    lost = next(e for e in events if e[0] == "LeadLost")
    assert lost[1] == f"mosaico.{tenant.slug}.crm.lead_lost"


def test_a_request_that_fails_leaves_no_event(make_crm_tenant, crm, postgres):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    seller = member(crm, tenant, "user")
    stages = boss.stages()
    lead = boss.create_lead()
    boss.post(f"{LEADS}/{lead['id']}/win", json={"reason": "fechou"})
    boss.post(f"{STAGES}/{stages['Negociação']['id']}/archive")
    with crm_database(postgres, tenant) as db:
        before = len(_events(db))
        leads_before = db.execute("SELECT count(*) FROM leads").fetchone()[0]

    problem(boss.move(lead["id"], stages["Negociação"]["id"]), 409)  # archived
    problem(boss.post(f"{LEADS}/{lead['id']}/win", json={"reason": "de novo"}), 409)
    problem(boss.post(LEADS, json={"name": "X", "stage_id": stages["Ganho"]["id"]}), 422)
    problem(seller.post(LEADS, json={"name": "X", "owner_id": boss.user_id}), 403)
    problem(boss.post(LEADS, json={"name": "X", "estimated_value": "-1"}), 422)

    with crm_database(postgres, tenant) as db:
        assert len(_events(db)) == before
        assert db.execute("SELECT count(*) FROM leads").fetchone()[0] == leads_before


def _fail_outbox_inserts_of(db, event_type: str) -> None:
    """From now on the database refuses to store ``event_type`` in the outbox."""
    db.execute(
        f"""
        CREATE FUNCTION refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.type = '{event_type}' THEN
                RAISE EXCEPTION 'outbox refused' USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_event BEFORE INSERT ON outbox
            FOR EACH ROW EXECUTE FUNCTION refuse_event();
        """
    )


def test_when_the_event_cannot_be_stored_the_lead_is_not_stored_either(
    make_crm_tenant, crm, postgres
):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    with crm_database(postgres, tenant) as db:
        _fail_outbox_inserts_of(db, "LeadCreated")
    problem(boss.post(LEADS, json={"name": "Sem evento"}), 409)
    with crm_database(postgres, tenant) as db:
        assert db.execute("SELECT count(*) FROM leads").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM stage_moves").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def test_when_lead_won_cannot_be_stored_the_lead_stays_where_it_was(make_crm_tenant, crm, postgres):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    lead = boss.create_lead()
    with crm_database(postgres, tenant) as db:
        _fail_outbox_inserts_of(db, "LeadWon")
    problem(boss.post(f"{LEADS}/{lead['id']}/win", json={"reason": "fechou"}), 409)
    after = boss.get(f"{LEADS}/{lead['id']}").json()
    assert (after["stage_id"], after["status"]) == (lead["stage_id"], "open")
    assert len(boss.get(f"{LEADS}/{lead['id']}/history").json()) == 1
    with crm_database(postgres, tenant) as db:
        assert [r[0] for r in db.execute("SELECT type FROM outbox")] == ["LeadCreated"]
