"""Nobody grants a role or a permission they do not hold themselves (admins may all)."""

from __future__ import annotations

import pytest
from mosaico_identity.roles import grantable_roles
from mosaico_identity.users.service import ensure_may_grant
from mosaico_shared.problems import Forbidden

from tests.fixtures.tenants import valid_cpf


def _invite(identity, headers, roles, n):
    return identity.post(
        "/identity/v1/invites",
        headers=headers,
        json={"email": f"convite{n}@acme.com.br", "roles": roles},
    )


def test_a_manager_cannot_invite_an_admin_but_may_invite_managers_and_users(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["manager"])
    manager = tenant.auth(cpf, password)
    refused = _invite(identity, manager, ["admin"], 1)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "admin" in refused.json()["detail"]
    assert _invite(identity, manager, ["user", "admin"], 2).status_code == 403
    assert _invite(identity, manager, ["manager"], 3).status_code == 201
    assert _invite(identity, manager, ["user"], 4).status_code == 201


def test_an_invite_a_manager_could_not_issue_never_makes_an_admin(make_tenant, identity):
    tenant = make_tenant()
    cpf, password = tenant.add_user(roles=["manager"])
    refused = _invite(identity, tenant.auth(cpf, password), ["admin"], 5)
    assert refused.status_code == 403
    assert "token" not in refused.json()


def test_admins_may_grant_any_role(make_tenant, identity):
    tenant = make_tenant()
    headers = tenant.auth()
    assert _invite(identity, headers, ["admin"], 6).status_code == 201
    created = identity.post(
        "/identity/v1/users",
        headers=headers,
        json={
            "full_name": "Outra Admin",
            "cpf": valid_cpf(4242),
            "email": "outra@acme.com.br",
            "password": "outra-password-1",
            "roles": ["admin"],
        },
    )
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    ("held", "grantable"),
    [
        ({"admin"}, {"admin", "manager", "user"}),
        ({"manager"}, {"manager", "user"}),
        ({"user"}, {"user"}),
        ({"manager", "user"}, {"manager", "user"}),
        (set(), set()),
        ({"unknown-role"}, set()),
    ],
)
def test_roles_are_grantable_by_those_who_hold_them_or_a_stronger_one(held, grantable):
    assert grantable_roles(held) == grantable


def test_granting_or_taking_away_a_stronger_role_is_forbidden():
    with pytest.raises(Forbidden):
        ensure_may_grant({"manager"}, {"admin"})
    with pytest.raises(Forbidden):
        ensure_may_grant({"user"}, {"manager", "user"})
    ensure_may_grant({"manager"}, {"manager", "user"})
    ensure_may_grant({"admin"}, {"admin"})
