"""Per-tenant databases: naming, bounded engines, sessions and tenant status."""
