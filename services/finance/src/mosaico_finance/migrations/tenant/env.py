"""Alembic environment of finance's tenant database."""

from alembic import context
from mosaico_finance.models import FinanceBase as Base
from mosaico_shared.migrations import run_migrations

run_migrations(context.config, Base.metadata)
