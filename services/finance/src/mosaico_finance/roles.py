"""What each role of a tenant may do in finance (each domain's ``auth.py`` checks it)."""

from __future__ import annotations

READ = "finance:read"
WRITE_TRANSACTIONS = "transactions:write"
MANAGE_ACCOUNTS = "accounts:write"
MANAGE_CATEGORIES = "categories:write"

#: admin may do everything (checked in the shared library); the others as listed.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({READ, WRITE_TRANSACTIONS}),
    "user": frozenset({READ}),
}
