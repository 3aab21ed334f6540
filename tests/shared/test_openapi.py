"""Every service's OpenAPI tells the truth: standard keywords, null only where null is
accepted, and every error status a route can answer, with the problem schema."""

from __future__ import annotations

from typing import Any

import pytest
from mosaico_crm.main import create_app as create_crm
from mosaico_crm.settings import CrmSettings
from mosaico_finance.main import create_app as create_finance
from mosaico_finance.settings import FinanceSettings
from mosaico_identity.main import create_app as create_identity
from mosaico_identity.settings import IdentitySettings
from mosaico_notifications.main import create_app as create_notifications
from mosaico_notifications.settings import NotificationsSettings

PROBLEM = {"$ref": "#/components/schemas/Problem"}
NON_STANDARD = {"decimal_places", "max_digits", "gt", "ge", "lt", "le"}
_COMMON = {
    "database_url": "postgresql://nobody@127.0.0.1:1/none",
    "internal_auth": "digests",
    "identity_url": "http://127.0.0.1:1",
}


def _documents() -> dict[str, dict[str, Any]]:
    apps = {
        "crm": create_crm(CrmSettings(**_COMMON)),
        "finance": create_finance(FinanceSettings(**_COMMON)),
        "identity": create_identity(IdentitySettings(**_COMMON)),
        "notifications": create_notifications(NotificationsSettings(**_COMMON)),
    }
    return {name: app.openapi() for name, app in apps.items()}


DOCUMENTS = _documents()


def _walk(node: Any, path: str = ""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


def _operations(document: dict[str, Any]):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not path.endswith(("/healthz", "/readyz")):
                yield f"{method.upper()} {path}", operation


@pytest.mark.parametrize("module", sorted(DOCUMENTS))
def test_schemas_use_only_standard_json_schema_keywords(module):
    for where, node in _walk(DOCUMENTS[module]["components"]["schemas"]):
        assert not NON_STANDARD & set(node), f"{module}{where}: {NON_STANDARD & set(node)}"


@pytest.mark.parametrize("module", sorted(DOCUMENTS))
def test_every_operation_documents_the_statuses_it_can_answer_as_problems(module):
    for name, operation in _operations(DOCUMENTS[module]):
        responses = operation["responses"]
        expected = set()
        if operation.get("security"):
            expected |= {"401", "403"}
        if "requestBody" in operation:
            expected |= {"400", "413", "415", "422"}
        if any(p["in"] == "path" for p in operation.get("parameters", [])):
            expected |= {"404", "422"}
        assert expected <= set(responses), f"{name} lacks {expected - set(responses)}"
        for status, response in responses.items():
            if status[0] in "45":
                content = response["content"]["application/problem+json"]["schema"]
                assert content == PROBLEM, f"{name} {status}"


def _property(module: str, model: str, field: str) -> dict[str, Any]:
    return dict(DOCUMENTS[module]["components"]["schemas"][model]["properties"][field])


@pytest.mark.parametrize(
    ("module", "model", "field"),
    [
        ("finance", "TransactionCreate", "amount"),
        ("finance", "AccountCreate", "opening_balance"),
        ("crm", "LeadCreate", "estimated_value"),
    ],
)
def test_money_limits_are_a_pattern_and_a_maximum(module, model, field):
    string, number = _property(module, model, field)["anyOf"]
    assert string["type"] == "string"
    assert string["pattern"].startswith("^")
    assert number["type"] == "number"
    assert number["maximum"] == 9999999999999.99
    assert number["multipleOf"] == 0.01


@pytest.mark.parametrize(
    ("module", "model", "field"),
    [
        ("finance", "TransactionUpdate", "amount"),
        ("finance", "TransactionUpdate", "transaction_date"),
        ("finance", "AccountUpdate", "active"),
        ("crm", "LeadUpdate", "name"),
        ("crm", "LeadUpdate", "estimated_value"),
    ],
)
def test_fields_that_refuse_null_are_not_documented_as_nullable(module, model, field):
    prop = _property(module, model, field)
    assert {"type": "null"} not in prop.get("anyOf", []), prop
    assert prop.get("type") != "null"


def test_fields_that_take_null_say_so():
    assert {"type": "null"} in _property("crm", "LeadUpdate", "notes")["anyOf"]
