"""Who may read, change and delete leads, and the check that a lead's new owner is a
user of the tenant.

That check asks identity over HTTP, so it is a route dependency
(``dependencies=[CHECK_OWNER_OF_NEW_LEAD]``): FastAPI solves route dependencies before
the endpoint's own, so no tenant transaction (and no pooled connection) is open while
identity answers.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import Conflict, InvalidInput, NotFound

from mosaico_crm.access import ActingWith, Actor
from mosaico_crm.leads.schemas import LeadCreate, LeadUpdate
from mosaico_crm.leads.service import ensure_may_assign
from mosaico_crm.roles import LEADS_DELETE, LEADS_READ, LEADS_WRITE

LeadReader = Annotated[Actor, Depends(ActingWith(LEADS_READ))]
LeadWriter = Annotated[Actor, Depends(ActingWith(LEADS_WRITE))]
LeadDeleter = Annotated[Actor, Depends(ActingWith(LEADS_DELETE))]


async def ensure_owner_is_tenant_user(
    request: Request, actor: Actor, owner_id: uuid.UUID | None
) -> None:
    """Refuse an owner identity does not know in the caller's tenant (422), or an
    inactive one (409).

    Only managers and admins may name another owner, and they may read identity's
    users, so the caller's own token is enough: no internal credential is spent.
    """
    if owner_id is None or owner_id == actor.user_id:
        return
    ensure_may_assign(actor, owner_id)
    identity: ServiceClient = request.app.state.identity
    try:
        user = await identity.get_json(
            f"/identity/v1/users/{owner_id}",
            headers={"Authorization": request.headers.get("authorization", "")},
        )
    except NotFound as exc:
        raise InvalidInput(f"owner_id: {owner_id} is not a user of this tenant.") from exc
    if not user.get("active", True):
        raise Conflict(f"owner_id: the user {owner_id} is inactive.")


async def _owner_of_new_lead(request: Request, actor: LeadWriter, body: LeadCreate) -> None:
    await ensure_owner_is_tenant_user(request, actor, body.owner_id)


async def _new_owner_of_lead(request: Request, actor: LeadWriter, body: LeadUpdate) -> None:
    await ensure_owner_is_tenant_user(request, actor, body.owner_id)


CHECK_OWNER_OF_NEW_LEAD = Depends(_owner_of_new_lead)
CHECK_NEW_OWNER_OF_LEAD = Depends(_new_owner_of_lead)
