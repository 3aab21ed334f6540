"""Alembic environment of the CRM's tenant database."""

from alembic import context
from mosaico_crm.models import CrmBase as Base
from mosaico_shared.migrations import run_migrations

run_migrations(context.config, Base.metadata)
