"""Names of tenants and of their databases."""

from __future__ import annotations

import re

#: DNS-safe, short enough that ``<module>_<tenant>`` fits PostgreSQL's 63-byte names.
TENANT_SLUG_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$"
TENANT_SLUG_MAX = 40
_SLUG = re.compile(TENANT_SLUG_PATTERN)


def is_tenant_slug(value: str) -> bool:
    """True when ``value`` is a valid tenant slug (a Tenant object's name)."""
    return bool(_SLUG.match(value))


def database_name(module: str, tenant: str) -> str:
    """The database of ``tenant`` in ``module``: ``<module>_<tenant>``, hyphens as underscores."""
    if not is_tenant_slug(tenant):
        raise ValueError(f"not a tenant slug: {tenant!r}")
    return f"{module}_{tenant.replace('-', '_')}"
