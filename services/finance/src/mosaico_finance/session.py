"""The request's tenant session, committed before the response leaves.

``mosaico_shared.tenancy.session.TenantSession`` uses FastAPI's default dependency
scope ("request"), whose exit code runs *after* the response is sent: a client could
get 201 before the commit, read its own write too early, or be told of a success whose
commit then fails. Scope "function" commits (or rolls back) first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from mosaico_shared.tenancy.session import tenant_session
from sqlalchemy.ext.asyncio import AsyncSession

TenantSession = Annotated[AsyncSession, Depends(tenant_session, scope="function")]
