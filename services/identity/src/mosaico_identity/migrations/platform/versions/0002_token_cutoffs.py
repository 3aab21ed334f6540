"""token cutoffs

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
    op.create_table(
        "token_cutoffs",
        sa.Column("tenant", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("not_before", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["tenant"], ["tenants.slug"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("token_cutoffs")
