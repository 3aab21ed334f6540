"""The API documents its errors and shows examples of what it accepts."""

from __future__ import annotations


def test_every_endpoint_declares_the_problems_it_can_answer(finance):
    schema = finance.get("/finance/openapi.json").json()
    for path, operations in schema["paths"].items():
        if path.endswith(("/healthz", "/readyz")):
            continue
        for method, operation in operations.items():
            problems = [
                code
                for code, response in operation["responses"].items()
                if code.startswith("4")
                and "application/problem+json" in response.get("content", {})
            ]
            assert problems, f"{method.upper()} {path} declares no problem responses"


def test_every_request_body_carries_an_example(finance):
    schema = finance.get("/finance/openapi.json").json()
    components = schema["components"]["schemas"]
    bodies = [
        operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
        for operations in schema["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    ]
    assert {"TransactionCreate", "TransactionUpdate", "AccountCreate", "CategoryCreate"} <= set(
        bodies
    )
    for name in bodies:
        assert components[name].get("examples"), name


def test_csv_reports_are_documented_as_text_csv(finance):
    schema = finance.get("/finance/openapi.json").json()
    monthly = schema["paths"]["/finance/v1/reports/cash-flow/monthly"]["get"]
    assert "text/csv" in monthly["responses"]["200"]["content"]
