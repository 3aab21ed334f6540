"""Roles of a tenant's users and what they may do in identity."""

from __future__ import annotations

ROLES = ("admin", "manager", "user")

#: admin may do everything (checked in the shared library); the others as listed.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({"users:read", "invites:write"}),
    "user": frozenset(),
}
