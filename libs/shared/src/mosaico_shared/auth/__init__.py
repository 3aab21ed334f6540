"""Authentication and authorization shared by every service."""

from mosaico_shared.auth.callers import (
    OPERATOR,
    SERVICES,
    Caller,
    CallerVerifier,
    DigestCallers,
    RequireCaller,
    TokenReviewCallers,
    internal_audience,
    token_digest,
)
from mosaico_shared.auth.principal import (
    CurrentPrincipal,
    Principal,
    RequirePermission,
    RequireRole,
)
from mosaico_shared.auth.tokens import JwksKeySource, KeySource, TokenVerifier
from mosaico_shared.credentials import CallerCredentials, TokenFileAuth

__all__ = [
    "OPERATOR",
    "SERVICES",
    "Caller",
    "CallerCredentials",
    "CallerVerifier",
    "CurrentPrincipal",
    "DigestCallers",
    "JwksKeySource",
    "KeySource",
    "Principal",
    "RequireCaller",
    "RequirePermission",
    "RequireRole",
    "TokenFileAuth",
    "TokenReviewCallers",
    "TokenVerifier",
    "internal_audience",
    "token_digest",
]
