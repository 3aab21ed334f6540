"""Bank accounts: the balance is derived from the opening balance and the transactions."""

from __future__ import annotations

from decimal import Decimal

from tests.services.finance.books import Books, tenant_database

CENTS = ["0.10", "0.20", "0.07", "0.01", "0.30", "0.03"]


def test_the_balance_is_the_opening_balance_plus_incomes_minus_expenses(
    make_finance_tenant, finance
):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account("1000.00")
    incomes = [CENTS[i % len(CENTS)] for i in range(24)]
    expenses = [CENTS[(i + 2) % len(CENTS)] for i in range(17)]
    for amount in incomes:
        books.record(account, amount, "income")
    for amount in expenses:
        books.record(account, amount, "expense")
    expected = Decimal("1000.00") + sum(map(Decimal, incomes)) - sum(map(Decimal, expenses))
    assert books.balance(account) == expected
    listed = {a["id"]: Decimal(a["balance"]) for a in books.get("/accounts").json()}
    assert listed[account["id"]] == expected


def test_the_balance_follows_edits_and_deletions(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account("50.00")
    sale = books.record(account, "0.10", "income")
    rent = books.record(account, "0.20", "expense", category="Aluguel")
    tax = books.record(account, "0.07", "expense", category="Impostos")
    assert books.balance(account) == Decimal("50.00") + Decimal("0.10") - Decimal("0.27")

    assert books.patch(f"/transactions/{sale['code']}", {"amount": "0.30"}).status_code == 200
    assert books.balance(account) == Decimal("50.00") + Decimal("0.30") - Decimal("0.27")

    became_income = {"type": "income", "category_id": books.category("Serviços")["id"]}
    assert books.patch(f"/transactions/{rent['code']}", became_income).status_code == 200
    assert books.balance(account) == Decimal("50.00") + Decimal("0.50") - Decimal("0.07")

    assert books.delete(f"/transactions/{tax['code']}").status_code == 204
    assert books.balance(account) == Decimal("50.50")


def test_moving_a_transaction_to_another_account_moves_its_amount(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    first, second = books.open_account("10.00"), books.open_account("20.00", name="Poupança")
    sale = books.record(first, "0.07")
    moved = books.patch(f"/transactions/{sale['code']}", {"bank_account_id": second["id"]})
    assert moved.status_code == 200
    assert books.balance(first) == Decimal("10.00")
    assert books.balance(second) == Decimal("20.07")


def test_correcting_the_opening_balance_keeps_the_transactions(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account("10.00")
    books.record(account, "0.20", "expense")
    corrected = books.patch(f"/accounts/{account['id']}", {"opening_balance": "-5.10"})
    assert corrected.status_code == 200
    assert Decimal(corrected.json()["balance"]) == Decimal("-5.30")


def test_the_balance_is_never_stored_so_it_cannot_drift(make_finance_tenant, finance, postgres):
    tenant = make_finance_tenant()
    with tenant_database(postgres, tenant) as db:
        columns = {
            row[0]
            for row in db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'bank_accounts'"
            )
        }
    assert "opening_balance" in columns
    assert "balance" not in columns


def test_a_bank_account_is_registered_once(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account()
    again = books.post(
        "/accounts",
        {key: account[key] for key in ("name", "bank_code", "agency", "account_number")},
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


def test_an_inactive_account_takes_no_new_transactions(make_finance_tenant, finance):
    books = Books.of(finance, make_finance_tenant())
    account = books.open_account("5.00")
    books.record(account, "0.10")
    closed = books.patch(f"/accounts/{account['id']}", {"active": False})
    assert closed.status_code == 200
    assert closed.json()["active"] is False
    refused = books.record_raw(account, "0.10")
    assert refused.status_code == 409
    assert "inactive" in refused.json()["detail"]
    assert books.balance(account) == Decimal("5.10")
