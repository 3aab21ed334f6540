"""JWKS (public) and key rotation (internal)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from mosaico_shared.auth import OPERATOR, RequireCaller

public = APIRouter(prefix="/identity/.well-known", tags=["keys"])
#: Rotation is a platform operation: the operator's, like the registry.
internal = APIRouter(
    prefix="/identity/internal/keys",
    tags=["internal"],
    dependencies=[Depends(RequireCaller(OPERATOR))],
)


@public.get("/jwks.json", summary="Public keys that verify Mosaico access tokens")
async def jwks(request: Request) -> JSONResponse:
    body: dict[str, Any] = await request.app.state.signing_keys.jwks()
    # Short client-side cache: verifiers also refetch on an unknown kid.
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=60"})


@internal.post("/rotate", summary="Start signing with a new key; the old one stays published")
async def rotate_keys(request: Request) -> dict[str, str]:
    kid = await request.app.state.signing_keys.rotate()
    return {"active_kid": kid}
