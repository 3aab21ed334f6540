"""``identity_platform`` for requests: a session, a transaction of their own, and the
per-user token cutoffs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from mosaico_identity.registry.service import TokenCutoffs


@asynccontextmanager
async def platform_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A transaction on ``identity_platform``: committed when the block succeeds."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        yield session


async def platform_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session on ``identity_platform``; commits when the endpoint succeeds."""
    async with platform_transaction(request.app.state.platform_engine) as session:
        yield session


PlatformSession = Annotated[AsyncSession, Depends(platform_session, scope="function")]


async def token_cutoffs(request: Request) -> TokenCutoffs:
    """The app's per-user token cutoffs."""
    cutoffs: TokenCutoffs = request.app.state.token_cutoffs
    return cutoffs


Cutoffs = Annotated[TokenCutoffs, Depends(token_cutoffs)]
