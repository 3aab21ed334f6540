"""Bad input gets a 4xx problem+json, never a 500 or a stack trace."""

from __future__ import annotations

import json

import pytest

from tests.services.crm.factories import LEADS, STAGES, admin, lead_body, problem


@pytest.fixture(scope="module")
def boss(make_crm_tenant, crm):
    """One tenant for the whole module: bad input must leave nothing behind anyway."""
    return admin(crm, make_crm_tenant())


@pytest.mark.parametrize(
    "value", ["-0.01", -5, "abc", "", "1.001", "NaN", "Infinity", "1e20", True, None, [], {}]
)
def test_an_estimated_value_that_is_not_an_amount_is_refused(boss, value):
    response = boss.post(LEADS, json=lead_body(estimated_value=value))
    assert "estimated_value" in problem(response, 422)["detail"]


@pytest.mark.parametrize("value", [0, "0", 0.1, "9999999999999.99"])
def test_zero_and_large_amounts_with_cents_are_accepted(boss, value):
    response = boss.post(LEADS, json=lead_body(estimated_value=value))
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "document",
    [
        "529.982.247-24",
        "11.222.333/0001-80",
        "111.111.111-11",
        "123",
        "abc52998224725",
        "529a982b247c25",
        "12ABC34501DE36",
        "12ABC34501DEAB",
        "5299822472500",
        "11222333000181999",
    ],
)
def test_an_invalid_cpf_or_cnpj_is_refused(boss, document):
    response = boss.post(LEADS, json=lead_body(document=document))
    assert "document" in problem(response, 422)["detail"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "+1 415 555 0100"),
        ("email", "não-é-email"),
        ("name", ""),
        ("name", "x" * 201),
        ("tags", ["x" * 41]),
        ("tags", [f"t{i}" for i in range(21)]),
        ("owner_id", "not-a-uuid"),
        ("stage_id", "not-a-uuid"),
        ("unknown_field", 1),
    ],
)
def test_invalid_fields_are_named_in_a_422(boss, field, value):
    response = boss.post(LEADS, json=lead_body(**{field: value}))
    assert field in problem(response, 422)["detail"]


@pytest.mark.parametrize("limit", ["0", "-1", "101", "1000000", "abc", "1.5"])
def test_page_sizes_outside_1_to_100_are_refused(boss, limit):
    problem(boss.get(LEADS, params={"limit": limit}), 422)


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "bm90fGE="},
        {"cursor": "x" * 300},
        {"status": "maybe"},
        {"stage_id": "nope"},
        {"owner_id": "123"},
        {"q": "x" * 101},
    ],
)
def test_bad_list_parameters_are_refused(boss, params):
    problem(boss.get(LEADS, params=params), 422)


@pytest.mark.parametrize(
    "path", [LEADS, STAGES, f"{LEADS}/00000000-0000-4000-8000-000000000000/activities"]
)
def test_malformed_json_is_a_400_problem(boss, path):
    response = boss.post(
        path, content=b'{"name": "Padaria', headers={"content-type": "application/json"}
    )
    assert problem(response, 400)["type"].endswith("/malformed-body")


def test_a_json_value_that_is_not_an_object_is_a_422(boss):
    problem(boss.post(LEADS, json=["name", "x"]), 422)
    problem(boss.post(LEADS, json="x"), 422)


def test_a_non_uuid_lead_id_is_a_422_not_a_500(boss):
    problem(boss.get(f"{LEADS}/123"), 422)
    problem(boss.patch(f"{LEADS}/'; DROP TABLE leads; --", json={}), 422)


def test_stage_bodies_are_checked(boss):
    problem(boss.post(STAGES, json={"name": ""}), 422)
    problem(boss.post(STAGES, json={"name": "x" * 61}), 422)
    problem(boss.post(STAGES, json={"name": "X", "kind": "maybe"}), 422)
    problem(boss.post(STAGES, json={"name": "X", "position": -1}), 422)
    problem(boss.put(f"{STAGES}/order", json={"stage_ids": []}), 422)


def test_text_with_nul_characters_is_a_422_not_a_database_error(boss):
    lead = boss.create_lead()
    path = f"{LEADS}/{lead['id']}"
    assert "name" in problem(boss.post(LEADS, json={"name": "a\u0000b"}), 422)["detail"]
    assert "tags.0" in problem(boss.patch(path, json={"tags": ["\u0000"]}), 422)["detail"]
    problem(boss.post(f"{path}/activities", json={"kind": "call", "subject": "\u0000"}), 422)
    problem(boss.post(STAGES, json={"name": "x\u0000"}), 422)
    problem(boss.get(LEADS, params={"q": "a\u0000"}), 422)
    problem(boss.get(LEADS, params={"tag": "a\u0000"}), 422)


def test_a_form_body_is_a_415(boss):
    response = boss.post(
        LEADS, content=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    problem(response, 415)


def _raw_lead(boss, number: str, method: str = "POST", path: str = LEADS):
    text = json.dumps(lead_body(estimated_value="__N__")).replace('"__N__"', number)
    if method == "PATCH":
        text = f'{{"estimated_value": {number}}}'
    return boss.request(method, path, content=text.encode(),
                        headers={"content-type": "application/json"})  # fmt: skip


@pytest.mark.parametrize("number", ["0.100000000000000001", "9999999999999.991", "1.005"])
def test_an_estimated_value_json_number_is_read_as_written_not_rounded(boss, number):
    assert "estimated_value" in problem(_raw_lead(boss, number), 422)["detail"]
    lead = boss.post(LEADS, json=lead_body(estimated_value="10.00")).json()
    response = _raw_lead(boss, number, "PATCH", f"{LEADS}/{lead['id']}")
    assert "estimated_value" in problem(response, 422)["detail"]
    assert boss.get(f"{LEADS}/{lead['id']}").json()["estimated_value"] == "10.00"


def test_the_largest_estimated_value_as_a_json_number_is_exact(boss):
    response = _raw_lead(boss, "9999999999999.99")
    assert response.status_code == 201, response.text
    assert response.json()["estimated_value"] == "9999999999999.99"


@pytest.mark.parametrize("value", ["\u0663", "\uff11\uff12", "1_000"])
def test_estimated_values_in_other_scripts_or_with_underscores_are_refused(boss, value):
    text = json.dumps(lead_body(estimated_value="__V__")).replace("__V__", value)
    response = boss.post(LEADS, content=text.encode(), headers={"content-type": "application/json"})
    assert "estimated_value" in problem(response, 422)["detail"]


@pytest.mark.parametrize(
    "params", [{"to": "0"}, {"from": "1", "to": "2026-01-01"}, {"to": "1700000000"}]
)
def test_summary_dates_are_iso_dates_not_timestamps(boss, params):
    problem(boss.get("/crm/v1/pipeline/summary", params=params), 422)


def test_stage_listing_takes_true_or_false(boss):
    problem(boss.get(STAGES, params={"include_archived": "1"}), 422)
    assert boss.get(STAGES, params={"include_archived": "true"}).status_code == 200
