"""outbox schema version

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 20:15:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column(
        "outbox",
        sa.Column("schema_version", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("outbox", "schema_version")
