from alembic import context
from mosaico_shared.migrations import run_migrations
from sqlalchemy import MetaData

run_migrations(context.config, MetaData())
