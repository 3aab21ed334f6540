"""Roles of a tenant's users and what they may do in the CRM.

``admin`` may do everything (the shared library lets admins through every check).
A ``manager`` works with every lead of the tenant; a ``user`` only with the leads
they own. Only admins edit the pipeline; only admins and managers delete leads.
"""

from __future__ import annotations

from mosaico_shared.contracts.roles import ROLES

LEADS_READ = "leads:read"
LEADS_WRITE = "leads:write"
#: See and change every lead, and give leads to other users (otherwise: own leads only).
LEADS_ALL = "leads:all"
LEADS_DELETE = "leads:delete"
STAGES_READ = "stages:read"
STAGES_WRITE = "stages:write"
REPORTS_READ = "reports:read"


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "manager": frozenset(
        {LEADS_READ, LEADS_WRITE, LEADS_ALL, LEADS_DELETE, STAGES_READ, REPORTS_READ}
    ),
    "user": frozenset({LEADS_READ, LEADS_WRITE, STAGES_READ}),
}

__all__ = ["ROLES", "ROLE_PERMISSIONS"]
