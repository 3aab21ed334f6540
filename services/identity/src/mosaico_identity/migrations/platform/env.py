"""Alembic environment of identity's platform database."""

from alembic import context
from mosaico_identity.models.platform import PlatformBase as Base
from mosaico_shared.migrations import run_migrations

run_migrations(context.config, Base.metadata)
