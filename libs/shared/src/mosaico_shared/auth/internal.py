"""Internal callers (the operator, other services) on ``/<module>/internal/...``."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mosaico_shared.problems import Unauthorized

_internal_bearer = HTTPBearer(auto_error=False, description="Internal credential")


async def require_internal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_internal_bearer)],
) -> None:
    """Refuse any caller that does not present the internal credential."""
    expected: str = request.app.state.settings.internal_token.get_secret_value()
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("Internal endpoints need the internal credential.")


InternalCaller = Depends(require_internal)
