"""Who is calling: the ``Principal`` and the dependencies that demand one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mosaico_shared.contracts.roles import ADMIN
from mosaico_shared.logs import tenant_var
from mosaico_shared.problems import Forbidden, ModuleNotEnabled, TenantSuspended, Unauthorized

if TYPE_CHECKING:
    from mosaico_shared.auth.tokens import TokenVerifier
    from mosaico_shared.tenancy.status import TenantStatusSource


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified user of one tenant."""

    user_id: str
    tenant: str
    roles: frozenset[str]
    modules: frozenset[str]
    plan: str | None
    token_id: str
    expires_at: datetime
    #: The token's ``iat`` (Unix seconds).
    issued_at: int

    @property
    def is_admin(self) -> bool:
        """Tenant administrators may do everything inside their tenant."""
        return ADMIN in self.roles


#: The OpenAPI security scheme of user requests (internal calls use ``InternalCallerToken``).
ACCESS_SCHEME = "AccessToken"

_bearer = HTTPBearer(
    auto_error=False, scheme_name=ACCESS_SCHEME, description="Access token issued by identity"
)


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Verify the bearer token, then check that its tenant may use this module now:
    the module is enabled and the tenant is not suspended (both as identity says today,
    not as the token said when it was issued), and that the token was not issued before
    its user was deactivated or given other roles (the record's ``users_not_before``)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("An access token is required (Authorization: Bearer ...).")
    verifier: TokenVerifier = request.app.state.token_verifier
    principal = await verifier.verify(credentials.credentials)
    tenant_var.set(principal.tenant)
    module: str = request.app.state.settings.module
    status_source: TenantStatusSource = request.app.state.tenant_status
    status = await status_source.status(principal.tenant)
    if status is None:
        raise Unauthorized("The token's tenant is unknown.")
    if status.suspended:
        raise TenantSuspended(f"Tenant {principal.tenant!r} is suspended.")
    if module not in status.modules or module not in principal.modules:
        raise ModuleNotEnabled(f"Module {module!r} is not enabled for {principal.tenant!r}.")
    not_before = status.users_not_before.get(principal.user_id)
    if not_before is not None and principal.issued_at < not_before:
        raise Unauthorized(
            "The access token was issued before the user's access changed; log in again."
        )
    # ``CurrentTenant`` hands this record on without a second lookup.
    request.state.tenant_record = status
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


class RequireRole:
    """Dependency: the principal holds one of ``roles`` (admins always pass)."""

    def __init__(self, *roles: str) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if principal.is_admin or principal.roles & self.roles:
            return principal
        raise Forbidden(f"This needs one of the roles: {', '.join(sorted(self.roles))}.")


class RequirePermission:
    """Dependency: one of the principal's roles grants ``permission`` under the
    service's role -> permissions map (``app.state.role_permissions``)."""

    def __init__(self, permission: str) -> None:
        self.permission = permission

    async def __call__(self, request: Request, principal: CurrentPrincipal) -> Principal:
        grants: Mapping[str, frozenset[str]] = request.app.state.role_permissions
        if principal.is_admin or any(self.permission in grants.get(r, ()) for r in principal.roles):
            return principal
        raise Forbidden(f"This needs the permission {self.permission!r}.")
