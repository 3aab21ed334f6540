"""Transactions: codes with a check letter, the audit trail, the outbox, listing."""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

from tests.services.finance.books import Books, tenant_database

LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _letter_for(digits: str) -> str:
    return LETTERS[int(digits) % 23]


def test_codes_are_lc_eight_digits_and_a_check_letter_from_the_digits(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    codes = [books.record(account, "1.00")["code"] for _ in range(15)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"LC[0-9]{8}[A-Z]", code)
        assert code[-1] == _letter_for(code[2:10])


def test_a_code_whose_check_letter_does_not_match_is_refused_before_any_lookup(
    make_finance_tenant, finance
):
    books = Books.of(finance, make_finance_tenant())
    code = books.record(books.open_account(), "2.00")["code"]
    assert books.get(f"/transactions/{code}").status_code == 200
    assert books.get(f"/transactions/{code.lower()}").json()["code"] == code
    wrong = code[:-1] + next(letter for letter in LETTERS if letter != code[-1])
    for bad in (wrong, "LC1234567A", "XX12345678A", "LC12345678", "LC1234567890"):
        response = books.get(f"/transactions/{bad}")
        assert response.status_code == 422, bad
        assert response.headers["content-type"] == "application/problem+json"
    unknown_digits = "00000000" if code[2:10] != "00000000" else "00000001"
    unknown = f"LC{unknown_digits}{_letter_for(unknown_digits)}"
    assert books.get(f"/transactions/{unknown}").status_code == 404


def test_edits_and_deletions_keep_an_audit_trail_of_who_changed_what(make_finance_tenant, finance):
    tenant = make_finance_tenant()
    admin = Books.of(finance, tenant)
    manager = Books.of(finance, tenant, *tenant.add_user(roles=["manager"]))
    admin_id = tenant.identity.get("/identity/v1/me", headers=admin.headers).json()["id"]
    manager_id = tenant.identity.get("/identity/v1/me", headers=manager.headers).json()["id"]

    code = manager.record(admin.open_account(), "0.10", description="Venda 1")["code"]
    edited = manager.patch(f"/transactions/{code}", {"amount": "0.17", "description": "Venda 1b"})
    assert edited.status_code == 200
    assert edited.json()["amount"] == "0.17"
    assert admin.delete(f"/transactions/{code}").status_code == 204

    assert admin.get(f"/transactions/{code}").status_code == 404
    assert admin.delete(f"/transactions/{code}").status_code == 404
    assert code not in {t["code"] for t in admin.get("/transactions").json()["items"]}
    trail = admin.get(f"/transactions/{code}/audit")
    assert trail.status_code == 200
    created, updated, deleted = trail.json()
    assert (created["action"], created["actor"], created["before"]) == ("created", manager_id, None)
    assert created["after"]["amount"] == "0.10"
    assert updated["action"] == "updated"
    assert updated["actor"] == manager_id
    assert (updated["before"]["amount"], updated["after"]["amount"]) == ("0.10", "0.17")
    assert (updated["before"]["description"], updated["after"]["description"]) == (
        "Venda 1",
        "Venda 1b",
    )
    assert deleted["action"] == "deleted"
    assert deleted["actor"] == admin_id
    assert deleted["before"]["deleted_at"] is None
    assert deleted["after"]["deleted_at"]
    moments = [datetime.fromisoformat(e["at"]) for e in (created, updated, deleted)]
    assert moments == sorted(moments)


def test_an_edit_that_changes_nothing_adds_nothing_to_the_trail(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    code = books.record(books.open_account(), "3.00")["code"]
    assert books.patch(f"/transactions/{code}", {"amount": "3.00"}).status_code == 200
    assert [e["action"] for e in books.get(f"/transactions/{code}/audit").json()] == ["created"]


def test_the_category_must_exist_and_be_of_the_transactions_type(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    supplier = books.category("Fornecedores", "expense")
    wrong_type = books.post("/transactions", {
        "description": "Venda", "amount": "1.00", "type": "income", "category_id": supplier["id"],
        "bank_account_id": account["id"], "transaction_date": "2026-11-01",
    })  # fmt: skip
    assert wrong_type.status_code == 422
    assert "expense category" in wrong_type.json()["detail"]
    code = books.record(account, "1.00", "income")["code"]
    only_type = books.patch(f"/transactions/{code}", {"type": "expense"})
    assert only_type.status_code == 422
    unknown = books.patch(f"/transactions/{code}", {"category_id": str(uuid.uuid4())})
    assert unknown.status_code == 422
    both = {"type": "expense", "category_id": books.category("Marketing", "expense")["id"]}
    assert books.patch(f"/transactions/{code}", both).json()["type"] == "expense"


def test_recording_writes_a_transaction_recorded_event_to_the_outbox(
    make_finance_tenant, finance, postgres
):
    tenant = make_finance_tenant()
    books = Books.of(finance, tenant)
    transaction = books.record(books.open_account(), "0.07", "expense", category="Impostos")
    with tenant_database(postgres, tenant) as db:
        rows = db.execute("SELECT subject, type, payload, published_at FROM outbox").fetchall()
    assert len(rows) == 1
    subject, event_type, payload, published_at = rows[0]
    payload = payload if isinstance(payload, dict) else json.loads(payload)
    assert subject == f"mosaico.{tenant.slug}.finance.transaction_recorded"
    assert event_type == "TransactionRecorded"
    assert published_at is None
    assert payload["code"] == transaction["code"]
    assert payload["amount"] == "0.07"
    assert payload["transaction_type"] == "expense"
    assert payload["category"] == "Impostos"
    assert payload["tenant"] == tenant.slug


def test_listing_is_paged_newest_first_and_filtered(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    for day in ("2026-09-01", "2026-10-01", "2026-11-01"):
        books.record(account, "1.00", "income", on=day)
        books.record(account, "2.00", "expense", on=day)
    first = books.get("/transactions", limit=2).json()
    assert first["total"] == 6
    assert len(first["items"]) == 2
    assert {t["transaction_date"] for t in first["items"]} == {"2026-11-01"}
    rest = books.get("/transactions", limit=100, offset=2).json()["items"]
    assert len(rest) == 4
    expenses = books.get("/transactions", type="expense", **{"from": "2026-10-01"}).json()
    assert expenses["total"] == 2
    assert {t["amount"] for t in expenses["items"]} == {"2.00"}


def test_the_transactions_export_is_csv_of_the_live_transactions(make_finance_tenant, finance):
    import csv
    import io

    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    kept = [
        books.record(account, a, on=d) for a, d in (("0.10", "2026-10-02"), ("0.20", "2026-11-03"))
    ]
    gone = books.record(account, "0.07")
    books.delete(f"/transactions/{gone['code']}")
    response = books.get("/transactions/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["code"], r["date"], r["amount"], r["category"]) for r in rows] == [
        (kept[0]["code"], "2026-10-02", "0.10", "Vendas"),
        (kept[1]["code"], "2026-11-03", "0.20", "Vendas"),
    ]
