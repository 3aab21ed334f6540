"""A user whose access identity took away is refused by the CRM too, within the
tenant-status TTL, although their access token has not expired."""

from __future__ import annotations

from tests.fixtures.polling import eventually
from tests.services.crm.factories import LEADS, Caller, user_id_of


def test_a_deactivated_user_is_refused_by_the_crm(make_crm_tenant, crm, identity_http_client):
    tenant = make_crm_tenant()
    cpf, password = tenant.add_user(roles=["user"])
    seller = Caller(crm, tenant.auth(cpf, password))
    assert seller.get(LEADS).status_code == 200
    deactivated = identity_http_client.patch(
        f"/identity/v1/users/{user_id_of(seller.headers)}",
        headers=tenant.auth(),
        json={"active": False},
    )
    assert deactivated.status_code == 200
    refused = eventually(
        lambda: (r := seller.get(LEADS)).status_code == 401 and r,
        what="the CRM refusing a deactivated user's token",
    )
    assert refused.headers["content-type"] == "application/problem+json"
    assert seller.post(LEADS, json={"name": "Depois"}).status_code == 401


def test_a_demoted_manager_keeps_only_a_users_rights_in_the_crm(
    make_crm_tenant, crm, identity_http_client
):
    tenant = make_crm_tenant()
    admin = Caller(crm, tenant.auth())
    lead = admin.create_lead()
    cpf, password = tenant.add_user(roles=["manager"])
    manager = Caller(crm, tenant.auth(cpf, password))
    assert manager.get(f"{LEADS}/{lead['id']}").status_code == 200
    demoted = identity_http_client.patch(
        f"/identity/v1/users/{user_id_of(manager.headers)}",
        headers=tenant.auth(),
        json={"roles": ["user"]},
    )
    assert demoted.status_code == 200
    eventually(
        lambda: manager.get(f"{LEADS}/{lead['id']}").status_code == 401,
        what="the CRM refusing the demoted manager's old token",
    )
    again = Caller(crm, tenant.auth(cpf, password))
    assert again.get(f"{LEADS}/{lead['id']}").status_code == 404  # not theirs as a user
