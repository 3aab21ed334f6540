"""The Mosaico operator: reconciles Tenant, Plan and Module resources with Kopf."""
