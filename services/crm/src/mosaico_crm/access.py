"""Who may do what in the CRM: the ``Actor`` endpoints hand to services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from mosaico_shared.auth import Principal, RequirePermission

from mosaico_crm.roles import (
    LEADS_ALL,
    LEADS_DELETE,
    LEADS_READ,
    LEADS_WRITE,
    REPORTS_READ,
    ROLE_PERMISSIONS,
    STAGES_READ,
    STAGES_WRITE,
)


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


async def _lead_reader(
    principal: Annotated[Principal, Depends(RequirePermission(LEADS_READ))],
) -> Actor:
    return Actor.of(principal)


async def _lead_writer(
    principal: Annotated[Principal, Depends(RequirePermission(LEADS_WRITE))],
) -> Actor:
    return Actor.of(principal)


async def _lead_deleter(
    principal: Annotated[Principal, Depends(RequirePermission(LEADS_DELETE))],
) -> Actor:
    return Actor.of(principal)


async def _stage_reader(
    principal: Annotated[Principal, Depends(RequirePermission(STAGES_READ))],
) -> Actor:
    return Actor.of(principal)


async def _stage_editor(
    principal: Annotated[Principal, Depends(RequirePermission(STAGES_WRITE))],
) -> Actor:
    return Actor.of(principal)


async def _report_reader(
    principal: Annotated[Principal, Depends(RequirePermission(REPORTS_READ))],
) -> Actor:
    return Actor.of(principal)


LeadReader = Annotated[Actor, Depends(_lead_reader)]
LeadWriter = Annotated[Actor, Depends(_lead_writer)]
LeadDeleter = Annotated[Actor, Depends(_lead_deleter)]
StageReader = Annotated[Actor, Depends(_stage_reader)]
StageEditor = Annotated[Actor, Depends(_stage_editor)]
ReportReader = Annotated[Actor, Depends(_report_reader)]
