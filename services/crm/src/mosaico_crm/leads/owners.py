"""A lead's owner must be a user of the tenant: identity is asked, as the caller."""

from __future__ import annotations

import uuid

from fastapi import Request
from mosaico_shared.http_client import ServiceClient
from mosaico_shared.problems import InvalidInput, NotFound

from mosaico_crm.access import Actor
from mosaico_crm.leads.service import ensure_may_assign


async def ensure_owner_is_tenant_user(
    request: Request, actor: Actor, owner_id: uuid.UUID | None
) -> None:
    """Refuse (422) an owner identity does not know in the caller's tenant.

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
        raise InvalidInput(f"owner_id: the user {owner_id} is inactive.")
