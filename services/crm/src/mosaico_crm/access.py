"""Who may do what in the CRM: the ``Actor`` endpoints hand to services, and the one
factory every domain's ``auth.py`` builds its dependencies with."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from fastapi import Request
from mosaico_shared.auth import CurrentPrincipal, Principal, RequirePermission

from mosaico_crm.roles import LEADS_ALL, ROLE_PERMISSIONS


@dataclass(frozen=True, slots=True)
class Actor:
    """A verified user acting in the CRM of ``tenant``."""

    tenant: str
    user_id: uuid.UUID
    #: Managers and admins work with every lead; users only with the leads they own.
    sees_all_leads: bool

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        """The actor behind a verified principal."""
        sees_all = principal.is_admin or any(
            LEADS_ALL in ROLE_PERMISSIONS.get(role, frozenset()) for role in principal.roles
        )
        return cls(
            tenant=principal.tenant,
            user_id=uuid.UUID(principal.user_id),
            sees_all_leads=sees_all,
        )


class ActingWith:
    """Dependency: the caller holds ``permission`` (admins always do); answers the
    :class:`Actor` services work with. ``Annotated[Actor, Depends(ActingWith(p))]``."""

    def __init__(self, permission: str) -> None:
        self.required = RequirePermission(permission)

    async def __call__(self, request: Request, principal: CurrentPrincipal) -> Actor:
        return Actor.of(await self.required(request, principal))
