"""Authentication and authorization shared by every service."""

from mosaico_shared.auth.internal import InternalCaller, require_internal
from mosaico_shared.auth.principal import (
    CurrentPrincipal,
    Principal,
    RequirePermission,
    RequireRole,
)
from mosaico_shared.auth.tokens import JwksKeySource, KeySource, TokenVerifier

__all__ = [
    "CurrentPrincipal",
    "InternalCaller",
    "JwksKeySource",
    "KeySource",
    "Principal",
    "RequirePermission",
    "RequireRole",
    "TokenVerifier",
    "require_internal",
]
