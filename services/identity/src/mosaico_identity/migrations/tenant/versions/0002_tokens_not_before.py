"""users: tokens not before

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 20:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("tokens_not_before", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "tokens_not_before")
