"""The CRM answers a tenant only while the module is enabled and the tenant active."""

from __future__ import annotations

from tests.fixtures.tenants import INTERNAL, set_suspended
from tests.services.crm.factories import LEADS, STAGES, SUMMARY, admin, problem


def test_a_tenant_without_the_crm_module_gets_403(make_crm_tenant, crm):
    outsider = admin(crm, make_crm_tenant(modules=()))
    for path in (LEADS, STAGES, SUMMARY):
        assert problem(outsider.get(path), 403)["type"].endswith("/module-not-enabled")
    problem(outsider.post(LEADS, json={"name": "X"}), 403)


def test_a_suspended_tenant_gets_403_until_it_is_reactivated(
    make_crm_tenant, crm, identity_http_client
):
    tenant = make_crm_tenant()
    boss = admin(crm, tenant)
    lead = boss.create_lead()
    set_suspended(identity_http_client, tenant, True)
    assert problem(boss.get(LEADS), 403)["type"].endswith("/tenant-suspended")
    problem(boss.get(f"{LEADS}/{lead['id']}"), 403)
    problem(boss.post(LEADS, json={"name": "X"}), 403)
    set_suspended(identity_http_client, tenant, False)
    assert boss.get(f"{LEADS}/{lead['id']}").status_code == 200


def test_onboarding_needs_the_internal_credential_and_an_existing_database(crm):
    problem(crm.post("/crm/internal/tenants/acme/onboard"), 401)
    missing = crm.post("/crm/internal/tenants/nobody-here/onboard", headers=INTERNAL)
    assert problem(missing, 404)["type"].endswith("/tenant-not-provisioned")


def test_probes_answer(crm):
    assert crm.get("/crm/healthz").json() == {"status": "ok"}
    ready = crm.get("/crm/readyz")
    assert ready.status_code == 200, ready.text


def test_every_endpoint_documents_its_problems_and_request_examples(crm):
    spec = crm.get("/crm/openapi.json").json()
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        if path.startswith("/crm/v1/")
        for method, op in item.items()
    ]
    assert len(operations) >= 17
    for path, method, op in operations:
        problems = [
            code
            for code, response in op["responses"].items()
            if "application/problem+json" in response.get("content", {})
        ]
        assert problems, f"{method.upper()} {path} documents no problem response"
        assert "HTTPValidationError" not in str(op["responses"]), f"{method} {path}: 422 shape"
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            ref = body["schema"]["$ref"].rsplit("/", 1)[1]
            assert spec["components"]["schemas"][ref].get("examples"), f"{ref} has no example"
