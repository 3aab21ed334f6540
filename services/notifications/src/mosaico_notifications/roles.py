"""Roles of a tenant's users and what they may do in notifications.

``admin`` may do everything (the shared library lets admins through every check),
including the provider settings and which events send what. A ``manager`` sends
messages, reads the delivery log and edits templates; a ``user`` reads templates and
the delivery log.
"""

from __future__ import annotations

from mosaico_shared.contracts.roles import ROLES

MESSAGES_SEND = "messages:send"
MESSAGES_READ = "messages:read"
TEMPLATES_READ = "templates:read"
TEMPLATES_WRITE = "templates:write"
SETTINGS_READ = "settings:read"
SETTINGS_WRITE = "settings:write"


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset(
        {MESSAGES_SEND, MESSAGES_READ, TEMPLATES_READ, TEMPLATES_WRITE, SETTINGS_READ}
    ),
    "user": frozenset({MESSAGES_READ, TEMPLATES_READ}),
}

__all__ = ["ROLES", "ROLE_PERMISSIONS"]
