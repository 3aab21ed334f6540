"""Alembic environment of identity's tenant database."""

from alembic import context
from mosaico_identity.models.tenant import TenantBase as Base
from mosaico_shared.migrations import run_migrations

run_migrations(context.config, Base.metadata)
