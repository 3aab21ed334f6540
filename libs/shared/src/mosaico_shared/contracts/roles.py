"""The roles a tenant's users hold, the same in every module.

Each module decides what a role may do there (its ``ROLE_PERMISSIONS``); the names
themselves are a contract: identity issues them in tokens and every module reads them.
"""

from __future__ import annotations

from typing import Final, Literal

ADMIN: Final = "admin"
MANAGER: Final = "manager"
USER: Final = "user"

#: Most powerful first.
ROLES = (ADMIN, MANAGER, USER)

Role = Literal["admin", "manager", "user"]
"""A role name as request bodies accept it."""
