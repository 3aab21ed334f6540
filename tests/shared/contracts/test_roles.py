"""Role names are ordered most powerful first, and every module keeps that order: a
role's permissions include those of every role below it. Granting a role one holds, or
one below it, therefore never grants a permission one lacks."""

from __future__ import annotations

import itertools

import pytest
from mosaico_crm.roles import ROLE_PERMISSIONS as CRM
from mosaico_finance.roles import ROLE_PERMISSIONS as FINANCE
from mosaico_identity.roles import ROLE_PERMISSIONS as IDENTITY
from mosaico_notifications.roles import ROLE_PERMISSIONS as NOTIFICATIONS
from mosaico_shared.contracts.roles import ADMIN, ROLES


@pytest.mark.parametrize(
    "permissions",
    [IDENTITY, CRM, FINANCE, NOTIFICATIONS],
    ids=["identity", "crm", "finance", "notifications"],
)
def test_each_role_holds_every_permission_of_the_roles_below_it(permissions):
    assert set(permissions) <= set(ROLES) - {ADMIN}, "admin may do everything; no entry needed"
    ranked = [r for r in ROLES if r != ADMIN]
    for stronger, weaker in itertools.pairwise(ranked):
        assert permissions.get(weaker, frozenset()) <= permissions.get(stronger, frozenset())
