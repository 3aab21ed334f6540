"""daily and monthly totals per account and category, kept by triggers, backfilled

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 07:10:00.000000

Reports read these instead of every transaction: the monthly totals of the months a
period covers whole, the daily totals of the days at its edges. Statement-level
triggers with transition tables keep both in the same transaction as every insert,
edit and (soft or hard) deletion of a transaction, however it is written (the API, the
payments consumer, a bulk import in SQL), so the totals cannot drift from the rows.
Upserts go in key order, so two writers never take the same totals' locks in opposite
orders.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOTAL = sa.Numeric(20, 2)


def _totals_table(name: str, period: str) -> None:
    op.create_table(
        name,
        sa.Column(period, sa.Date(), nullable=False),
        sa.Column("bank_account_id", sa.Uuid(), nullable=False),
        sa.Column("category_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("total", TOTAL, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bank_account_id"], ["bank_accounts.id"]),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"]),
        sa.PrimaryKeyConstraint(period, "bank_account_id", "category_id", "type"),
    )


def _add_to_totals(changes: str) -> str:
    """One statement adding ``changes`` (rows of day, account, category, type, amount,
    count) to the daily and the monthly totals."""
    return f"""
    WITH changes AS ({changes}),
    daily AS (
        INSERT INTO daily_totals AS t (day, bank_account_id, category_id, type, total, count)
        SELECT day, bank_account_id, category_id, type, sum(amount), sum(count)
        FROM changes GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (day, bank_account_id, category_id, type)
        DO UPDATE SET total = t.total + excluded.total, count = t.count + excluded.count
    )
    INSERT INTO monthly_totals AS t (month, bank_account_id, category_id, type, total, count)
    SELECT CAST(date_trunc('month', CAST(day AS timestamp)) AS date), bank_account_id,
           category_id, type, sum(amount), sum(count)
    FROM changes GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    ON CONFLICT (month, bank_account_id, category_id, type)
    DO UPDATE SET total = t.total + excluded.total, count = t.count + excluded.count"""  # noqa: S608


def _movements(rows: str, sign: str = "", where: str = "deleted_at IS NULL") -> str:
    return f"""
        SELECT transaction_date AS day, bank_account_id, category_id, type,
               {sign}amount AS amount, {sign}1 AS count
        FROM {rows} WHERE {where}"""  # noqa: S608 - constant fragments


#: What a row is counted by: an edit that changes none of it moves no totals.
_COUNTED = ("transaction_date", "bank_account_id", "category_id", "type", "amount", "deleted_at")
_CHANGED = f"""id IN (
    SELECT o.id FROM old_rows o JOIN new_rows n USING (id)
    WHERE ROW({", ".join(f"o.{c}" for c in _COUNTED)})
          IS DISTINCT FROM ROW({", ".join(f"n.{c}" for c in _COUNTED)}))"""  # noqa: S608


def _trigger_function(name: str, changes: str) -> str:
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_add_to_totals(changes)};
    RETURN NULL;
END $$
"""


_FUNCTIONS = {
    "finance_totals_on_insert": _movements("new_rows"),
    "finance_totals_on_update": _movements("old_rows", "-", f"deleted_at IS NULL AND {_CHANGED}")
    + "\n        UNION ALL"
    + _movements("new_rows", "", f"deleted_at IS NULL AND {_CHANGED}"),
    "finance_totals_on_delete": _movements("old_rows", "-"),
}

_TRIGGERS = """
CREATE TRIGGER totals_on_insert AFTER INSERT ON financial_transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION finance_totals_on_insert();
CREATE TRIGGER totals_on_update AFTER UPDATE ON financial_transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION finance_totals_on_update();
CREATE TRIGGER totals_on_delete AFTER DELETE ON financial_transactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION finance_totals_on_delete();
"""


def upgrade() -> None:
    """Upgrade schema."""
    _totals_table("daily_totals", "day")
    _totals_table("monthly_totals", "month")
    for name, changes in _FUNCTIONS.items():
        op.execute(_trigger_function(name, changes))
    # No write slips between the backfill and the triggers: the lock holds until commit.
    op.execute("LOCK TABLE financial_transactions IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_TRIGGERS)
    op.execute(_add_to_totals(_movements("financial_transactions")))


def downgrade() -> None:
    """Downgrade schema."""
    for trigger in ("totals_on_insert", "totals_on_update", "totals_on_delete"):
        op.execute(f"DROP TRIGGER {trigger} ON financial_transactions")
    for function in _FUNCTIONS:
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_table("monthly_totals")
    op.drop_table("daily_totals")
