"""lead search that ignores case and accents, served by a trigram index

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 21:20:00

"""

from collections.abc import Sequence

from alembic import op
from mosaico_shared.search import (
    DROP_ACCENT_FOLDING,
    INSTALL_ACCENT_FOLDING,
    create_search_index_sql,
)

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: What ``q`` searches; the repository filters on the same expression.
SEARCHED = ("name", "company", "email")


def upgrade() -> None:
    op.execute(INSTALL_ACCENT_FOLDING)
    op.execute(
        create_search_index_sql("ix_leads_search", "leads", *SEARCHED, where="deleted_at IS NULL")
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_leads_search")
    op.execute(DROP_ACCENT_FOLDING)
