"""The pipeline summary: exact money per stage and conversion from the move history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.services.crm.factories import LEADS, SUMMARY, admin, problem

# Cents that floats cannot hold: 0.10 + 0.20 != 0.30 in binary floating point.
VALUES = ["0.10", "0.20", "0.30", "0.01", "1234567.89", "0.07", "99.99"]


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_count_and_value_per_stage_are_exact_sums(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    stages = boss.stages()
    expected: dict[str, tuple[int, Decimal]] = {name: (0, Decimal("0")) for name in stages}
    for i in range(35):
        value = VALUES[i % len(VALUES)]
        lead = boss.create_lead(estimated_value=value)
        target = ["Novo", "Proposta", "Ganho", "Perdido"][i % 4]
        if target == "Proposta":
            boss.move(lead["id"], stages["Proposta"]["id"])
        elif target == "Ganho":
            boss.post(f"{LEADS}/{lead['id']}/win", json={"reason": "fechou"})
        elif target == "Perdido":
            boss.post(f"{LEADS}/{lead['id']}/lose", json={"reason": "desistiu"})
        count, total = expected[target]
        expected[target] = (count + 1, total + Decimal(value))
    deleted = boss.create_lead(estimated_value="5000.00")
    boss.delete(f"{LEADS}/{deleted['id']}")

    response = boss.get(SUMMARY, params={"from": _today(), "to": _today()})
    assert response.status_code == 200, response.text
    summary = response.json()
    got = {row["name"]: (row["count"], row["value"]) for row in summary["stages"]}
    assert got == {name: (count, f"{total:.2f}") for name, (count, total) in expected.items()}
    grand_total = sum((total for _, total in expected.values()), Decimal("0"))
    assert summary["total_value"] == f"{grand_total:.2f}"
    assert summary["total_count"] == 35
    floats = sum(float(VALUES[i % len(VALUES)]) for i in range(35))
    assert f"{floats!r}" != summary["total_value"]  # what float arithmetic would have said


def test_conversion_between_consecutive_stages_comes_from_the_history(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    s = boss.stages()
    l1, l2, l3, l4 = (boss.create_lead() for _ in range(4))
    boss.create_lead(stage_id=s["Proposta"]["id"])  # skipped Novo and Qualificado
    for lead in (l1, l2, l3):
        boss.move(lead["id"], s["Qualificado"]["id"])
    for lead in (l1, l2):
        boss.move(lead["id"], s["Proposta"]["id"])
    boss.post(f"{LEADS}/{l1['id']}/win", json={"reason": "fechou"})
    boss.post(f"{LEADS}/{l4['id']}/lose", json={"reason": "sem verba"})

    summary = boss.get(SUMMARY, params={"from": _today(), "to": _today()}).json()
    conversions = {
        (c["from_stage_name"], c["to_stage_name"]): (c["entered"], c["advanced"], c["rate"])
        for c in summary["conversions"]
    }
    assert conversions == {
        ("Novo", "Qualificado"): (4, 3, "0.7500"),
        ("Qualificado", "Proposta"): (3, 2, "0.6667"),
        ("Proposta", "Negociação"): (3, 1, "0.3333"),  # l1 went past it, to Ganho
        ("Negociação", "Ganho"): (0, 0, None),
    }


def test_the_period_selects_the_leads_counted(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    boss.create_lead(estimated_value="10.00")
    past = boss.get(SUMMARY, params={"from": "2020-01-01", "to": "2020-12-31"}).json()
    assert (past["total_count"], past["total_value"]) == (0, "0.00")
    assert all(c["entered"] == 0 and c["rate"] is None for c in past["conversions"])
    default = boss.get(SUMMARY).json()
    assert (default["total_count"], default["total_value"]) == (1, "10.00")
    assert default["to"] == _today()
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    assert boss.get(SUMMARY, params={"to": yesterday}).json()["total_count"] == 0


def test_bad_periods_are_422_problems(make_crm_tenant, crm):
    boss = admin(crm, make_crm_tenant())
    for params in (
        {"from": "2026-12-01", "to": "2026-11-01"},
        {"from": "2026-02-30"},
        {"from": "1999-12-31", "to": "2000-01-31"},
        {"from": "2026-01-01", "to": "2101-01-01"},
        {"from": "0001-01-01", "to": "9999-12-31"},
        {"to": "ontem"},
        {"from": "2026-13-01"},
        {"from": "2026-01-01T10:30:00Z"},
    ):
        problem(boss.get(SUMMARY, params=params), 422)
