"""no plain tokens in the outbox

Invite and password-reset events now carry their token sealed (schema version 2);
rows written before carried it in the clear. This drops those tokens from the outbox
(the invite itself stays valid: its token was shown to the inviter).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00.000000

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(
        "UPDATE outbox SET payload = payload - 'token'"
        " WHERE type IN ('UserInvited', 'PasswordResetRequested') AND payload ? 'token'"
    )


def downgrade() -> None:
    """Downgrade schema (the tokens are gone for good)."""
