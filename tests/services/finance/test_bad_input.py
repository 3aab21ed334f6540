"""Bad input gets a 4xx problem+json naming what is wrong, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.services.finance.books import Books


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


@pytest.fixture(scope="module")
def desk(shared_finance_tenants, finance):
    """Books with one account, and a valid transaction body to spoil one field at a time
    (one tenant for the module: every test here leaves the books as they were, or only
    adds what it checks)."""
    books = Books.of(finance, shared_finance_tenants())
    account = books.open_account()
    body = {
        "description": "Venda",
        "amount": "10.00",
        "type": "income",
        "category_id": books.category("Vendas")["id"],
        "bank_account_id": account["id"],
        "transaction_date": "2026-11-20",
    }
    return books, body


TOO_FAR = (datetime.now(UTC).date() + timedelta(days=400)).isoformat()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "-1.00"),
        ("amount", -5),
        ("amount", "0"),
        ("amount", 0),
        ("amount", "0.00"),
        ("amount", "abc"),
        ("amount", "1,50"),
        ("amount", "1.234"),
        ("amount", 0.001),
        ("amount", "NaN"),
        ("amount", "Infinity"),
        ("amount", True),
        ("amount", None),
        ("amount", "1e20"),
        ("amount", []),
        ("type", "transfer"),
        ("description", ""),
        ("description", "Venda\x00oculta"),
        ("description", "x" * 501),
        ("transaction_date", "1999-12-31"),
        ("transaction_date", TOO_FAR),
        ("transaction_date", "2026-13-01"),
        ("transaction_date", "ontem"),
        ("category_id", "not-a-uuid"),
        ("category_id", "6f1c2b1e-8d7a-4a57-9a58-0c6f4f3b9e21"),
        ("bank_account_id", "0b5e8f3a-2c4d-4e6f-8a9b-1c2d3e4f5a6b"),
        ("surprise", "extra fields are refused"),
    ],
)
def test_a_spoiled_transaction_is_a_422_naming_the_field(desk, field, value):
    books, body = desk
    before = books.get("/transactions").json()["total"]
    problem = _is_problem(books.post("/transactions", {**body, field: value}), 422)
    assert field in problem["detail"]
    assert books.get("/transactions").json()["total"] == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0.00"),
        ("amount", "-0.01"),
        ("amount", "9.999"),
        ("transaction_date", "1990-01-01"),
    ],
)
def test_a_spoiled_edit_is_a_422_and_changes_nothing(desk, field, value):
    books, body = desk
    code = books.post("/transactions", body).json()["code"]
    _is_problem(books.patch(f"/transactions/{code}", {field: value}), 422)
    assert books.get(f"/transactions/{code}").json()["amount"] == "10.00"


def test_a_date_exactly_a_year_ahead_is_accepted(desk):
    books, body = desk
    today = datetime.now(UTC).date()
    ahead = today.replace(year=today.year + 1) if (today.month, today.day) != (2, 29) else today
    response = books.post("/transactions", {**body, "transaction_date": ahead.isoformat()})
    assert response.status_code == 201, response.text


def test_float_noise_never_reaches_the_books(desk):
    books, body = desk
    created = books.post("/transactions", {**body, "amount": 0.1})
    assert created.status_code == 201
    assert created.json()["amount"] == "0.10"


def _raw(books: Books, method: str, path: str, body: dict, field: str, number: str):
    """Send ``body`` with ``field`` written as the JSON number ``number``, verbatim."""
    text = json.dumps({**body, field: "__N__"}).replace('"__N__"', number)
    return books.api.request(
        method,
        f"/finance/v1{path}",
        content=text.encode(),
        headers={**books.headers, "content-type": "application/json"},
    )


@pytest.mark.parametrize(
    "number", ["0.100000000000000001", "9999999999999.991", "10.001", "1e-3", "10000000000000"]
)
def test_a_json_number_amount_is_read_as_written_and_refused_not_rounded(desk, number):
    books, body = desk
    before = books.get("/transactions").json()["total"]
    problem = _is_problem(_raw(books, "POST", "/transactions", body, "amount", number), 422)
    assert "amount" in problem["detail"]
    assert books.get("/transactions").json()["total"] == before


def test_the_largest_amount_as_a_json_number_is_kept_to_the_cent(desk):
    books, body = desk
    created = _raw(books, "POST", "/transactions", body, "amount", "9999999999999.99")
    assert created.status_code == 201, created.text
    assert created.json()["amount"] == "9999999999999.99"
    code = created.json()["code"]
    _is_problem(
        _raw(books, "PATCH", f"/transactions/{code}", {}, "amount", "0.100000000000000001"), 422
    )
    edited = _raw(books, "PATCH", f"/transactions/{code}", {}, "amount", "12.5")
    assert edited.json()["amount"] == "12.50"
    books.delete(f"/transactions/{code}")


@pytest.mark.parametrize("number", ["0.100000000000000001", "9999999999999.991"])
def test_an_opening_balance_number_is_not_rounded(desk, number):
    books, _ = desk
    body = {"name": "Conta", "bank_code": "237", "agency": "1234", "account_number": "9911-1"}
    problem = _is_problem(_raw(books, "POST", "/accounts", body, "opening_balance", number), 422)
    assert "opening_balance" in problem["detail"]
    account = books.open_account("1.00")
    _is_problem(
        _raw(books, "PATCH", f"/accounts/{account['id']}", {}, "opening_balance", number), 422
    )
    assert books.get(f"/accounts/{account['id']}").json()["opening_balance"] == "1.00"


@pytest.mark.parametrize(
    "amount", ["\u0663", "\uff11\uff12", "1_000", " 12.00", "12.00 ", "+12", "1e2", "NaN"]
)
def test_amounts_in_other_scripts_or_python_syntax_are_refused(desk, amount):
    books, body = desk
    text = json.dumps({**body, "amount": "__A__"}).replace("__A__", amount)
    response = books.api.post(
        "/finance/v1/transactions",
        content=text.encode(),
        headers={**books.headers, "content-type": "application/json"},
    )
    assert "amount" in _is_problem(response, 422)["detail"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_a_malformed_body(desk, constant):
    books, body = desk
    _is_problem(_raw(books, "POST", "/transactions", body, "amount", constant), 400)


@pytest.mark.parametrize(
    "change", [{"active": 0}, {"active": "false"}, {"active": 1}, {"name": None}]
)
def test_account_edits_take_booleans_as_booleans_and_no_null_names(desk, change):
    books, _ = desk
    account = books.open_account()
    field = next(iter(change))
    assert field in _is_problem(books.patch(f"/accounts/{account['id']}", change), 422)["detail"]
    assert books.get(f"/accounts/{account['id']}").json()["active"] is True


@pytest.mark.parametrize(
    "change", [{"amount": None}, {"description": None}, {"transaction_date": 0}]
)
def test_a_transaction_edit_refuses_null_and_numbers_for_dates(desk, change):
    books, body = desk
    code = books.post("/transactions", body).json()["code"]
    field = next(iter(change))
    assert field in _is_problem(books.patch(f"/transactions/{code}", change), 422)["detail"]


def test_a_body_that_is_not_json_is_a_415(desk, finance):
    books, body = desk
    response = finance.post(
        "/finance/v1/transactions",
        content=json.dumps(body).encode(),
        headers={**books.headers, "content-type": "text/plain"},
    )
    assert _is_problem(response, 415)["type"].endswith("/unsupported-media-type")


def test_malformed_json_is_a_400_problem(desk, finance):
    books, _ = desk
    response = finance.post(
        "/finance/v1/transactions",
        content=b'{"amount": "1.00", ',
        headers={**books.headers, "content-type": "application/json"},
    )
    assert _is_problem(response, 400)["type"].endswith("/malformed-body")


@pytest.mark.parametrize("limit", [0, -1, 101, 1_000_000, "many"])
def test_page_sizes_are_bounded(desk, limit):
    books, _ = desk
    _is_problem(books.get("/transactions", limit=limit), 422)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/reports/cash-flow/monthly", {"from": "2026-12-01", "to": "2026-01-01"}),
        ("/reports/cash-flow/monthly", {"from": "1990-01-01", "to": "2026-01-01"}),
        ("/reports/cash-flow/monthly", {"from": "2000-01-01", "to": "2026-01-01"}),
        ("/reports/cash-flow/monthly", {"from": "2026-01-01"}),
        ("/reports/cash-flow/monthly", {"from": "jan", "to": "2026-01-01"}),
        (
            "/reports/cash-flow/by-category",
            {"from": "2026-01-01", "to": "2026-02-01", "format": "xlsx"},
        ),
        (
            "/reports/running-balance",
            {"from": "2026-01-01", "to": "2026-02-01", "bank_account_id": "x"},
        ),
        ("/reports/indicators", {"month": "2026-13"}),
        ("/reports/indicators", {"month": "26-01"}),
        ("/transactions", {"from": "2026-12-01", "to": "2026-01-01"}),
        ("/transactions", {"type": "transfer"}),
        ("/transactions/export.csv", {"from": "not-a-date"}),
        ("/transactions", {"to": "0"}),
        ("/transactions", {"from": "1700000000"}),
        ("/reports/cash-flow/monthly", {"from": "0", "to": "2026-01-01"}),
        ("/reports/cash-flow/monthly", {"from": "2026-01-01", "to": "20260201"}),
        ("/categories", {"include_archived": "1"}),
        ("/categories", {"include_archived": "yes"}),
    ],
)
def test_bad_report_and_listing_parameters_are_422(desk, path, params):
    books, _ = desk
    _is_problem(books.get(path, **params), 422)


@pytest.mark.parametrize(
    "field_value",
    [
        {"bank_code": "12"},
        {"bank_code": "abcd"},
        {"agency": ""},
        {"account_number": "12a45"},
        {"account_type": "investment"},
        {"opening_balance": "1.005"},
        {"opening_balance": "dinheiro"},
        {"name": "Conta\x00"},
    ],
)
def test_a_spoiled_bank_account_is_a_422(desk, field_value):
    books, _ = desk
    body = {"name": "Conta", "bank_code": "237", "agency": "1234", "account_number": "555-1"}
    problem = _is_problem(books.post("/accounts", {**body, **field_value}), 422)
    assert next(iter(field_value)) in problem["detail"]


def test_ids_in_paths_must_be_uuids(desk):
    books, _ = desk
    _is_problem(books.get("/accounts/42"), 422)
    _is_problem(books.post("/categories/42/archive"), 422)


def test_a_category_needs_a_name_and_a_known_type(desk):
    books, _ = desk
    _is_problem(books.post("/categories", {"name": "", "type": "income"}), 422)
    _is_problem(books.post("/categories", {"name": "X", "type": "transfer"}), 422)
    _is_problem(books.post("/categories", {"name": "x" * 51, "type": "income"}), 422)
    nul = _is_problem(books.post("/categories", {"name": "Lu\x00z", "type": "expense"}), 422)
    assert "name" in nul["detail"]
