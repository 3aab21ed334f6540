"""Why provisioning stopped, and whether waiting can help."""

from __future__ import annotations


class ProvisioningError(Exception):
    """A step failed. ``reason`` is a CamelCase word for conditions and Events;
    ``retryable`` says whether the same request can succeed later unchanged."""

    retryable: bool = True

    def __init__(self, reason: str, message: str, *, module: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.module = module


class DatabaseUnavailable(ProvisioningError):
    """A module's PostgreSQL server could not be reached or refused the statement."""


class DependencyDown(ProvisioningError):
    """identity or a module did not answer; it may be starting or restarting."""


class Rejected(ProvisioningError):
    """identity or a module refused the request itself: retrying unchanged will not help."""

    retryable = False
