"""Kubernetes Events about Tenants.

``kopf.info`` is filtered by ``settings.posting.level``, which is raised to WARNING so
Kopf's own per-handler Events stay quiet; ours go through ``kopf.event``, unfiltered.
"""

from __future__ import annotations

import kopf


def normal(body: kopf.Body, reason: str, message: str) -> None:
    """A step that happened (DatabaseCreated, ModuleOnboarded, Ready, ...)."""
    kopf.event(body, type="Normal", reason=reason, message=message)


def warning(body: kopf.Body, reason: str, message: str) -> None:
    """Something a person may need to act on (InvalidCNPJ, DriftRepaired, ...)."""
    kopf.event(body, type="Warning", reason=reason, message=message)
