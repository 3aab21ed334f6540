"""Alembic environment of notifications' tenant database."""

from alembic import context
from mosaico_notifications.models import NotificationsBase as Base
from mosaico_shared.migrations import run_migrations

run_migrations(context.config, Base.metadata)
