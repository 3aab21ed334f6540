"""Roles of a tenant's users and what they may do in identity."""

from __future__ import annotations

from collections.abc import Iterable

from mosaico_shared.contracts.roles import ADMIN, MANAGER, ROLES, USER

USERS_READ = "users:read"
USERS_WRITE = "users:write"
INVITES_WRITE = "invites:write"

#: admin may do everything (checked in the shared library); the others as listed.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    MANAGER: frozenset({USERS_READ, INVITES_WRITE}),
    USER: frozenset(),
}

__all__ = [
    "INVITES_WRITE",
    "ROLES",
    "ROLE_PERMISSIONS",
    "USERS_READ",
    "USERS_WRITE",
    "grantable_roles",
]


def grantable_roles(held: Iterable[str]) -> frozenset[str]:
    """The roles someone holding ``held`` may give or take away: every role for an
    admin; otherwise the roles they hold and the ones below them.

    ``ROLES`` is ordered most powerful first, and in every module a role's permissions
    include those of the roles below it (a test holds every module to it), so nobody
    grants a role or a permission they do not hold themselves.
    """
    held = set(held)
    if ADMIN in held:
        return frozenset(ROLES)
    ranks = [ROLES.index(role) for role in held if role in ROLES]
    return frozenset(ROLES[min(ranks) :]) if ranks else frozenset()
