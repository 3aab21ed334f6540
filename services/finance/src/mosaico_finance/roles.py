"""What each role of a tenant may do in finance, and the dependencies that check it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

READ = "finance:read"
WRITE_TRANSACTIONS = "transactions:write"
MANAGE_ACCOUNTS = "accounts:write"
MANAGE_CATEGORIES = "categories:write"

#: admin may do everything (checked in the shared library); the others as listed.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset({READ, WRITE_TRANSACTIONS}),
    "user": frozenset({READ}),
}

CanRead = Annotated[Principal, Depends(RequirePermission(READ))]
CanWriteTransactions = Annotated[Principal, Depends(RequirePermission(WRITE_TRANSACTIONS))]
CanManageAccounts = Annotated[Principal, Depends(RequirePermission(MANAGE_ACCOUNTS))]
CanManageCategories = Annotated[Principal, Depends(RequirePermission(MANAGE_CATEGORIES))]
