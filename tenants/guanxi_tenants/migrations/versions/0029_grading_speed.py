"""faster grading and churn scans over a million customers: the day an instalment was paid in full on the
instalment itself; score rows with numeric arrays instead of JSON; a narrow index of live customers that the
scans read instead of the wide customer rows

Revision ID: t0029
Revises: t0028
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0029"
down_revision = "t0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The credit criterion reads how late each instalment was paid; joining every payment to find it cost more
    # than the rest of the run. Set when the instalment becomes paid, cleared when a void reopens it.
    op.add_column("payment_instalments", sa.Column("paid_on", sa.Date))
    op.execute("""
        UPDATE payment_instalments i SET paid_on = p.last_paid
        FROM (SELECT instalment_id, max(paid_on) AS last_paid FROM payments
              WHERE voided_at IS NULL AND instalment_id IS NOT NULL GROUP BY instalment_id) p
        WHERE p.instalment_id = i.id AND i.status = 'paid'
    """)
    # Raw values and points in the order of the run's criteria (the run keeps its config): a million JSON
    # objects per run were a third of its time. The rows are the report of the latest run: the next run (nightly,
    # or "Grade now") writes them again.
    op.execute("DELETE FROM grading_scores")
    op.drop_column("grading_scores", "raw")
    op.drop_column("grading_scores", "points")
    op.add_column("grading_scores", sa.Column("raw", pg.ARRAY(sa.Numeric), nullable=False))
    op.add_column("grading_scores", sa.Column("points", pg.ARRAY(sa.Numeric), nullable=False))
    # Grading and the churn scan read these columns of every live customer: an index-only scan of this index
    # reads a twentieth of the pages of the customer rows (search text, custom fields, addresses).
    op.create_index(
        "ix_accounts_live_scan", "accounts", ["id"],
        postgresql_include=["owner_id", "grade", "last_activity_at", "created_at"],
        postgresql_where=sa.text("deleted_at IS NULL"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_accounts_live_scan", "accounts")
    op.execute("DELETE FROM grading_scores")
    op.drop_column("grading_scores", "raw")
    op.drop_column("grading_scores", "points")
    op.add_column("grading_scores", sa.Column("raw", pg.JSONB, nullable=False))
    op.add_column("grading_scores", sa.Column("points", pg.JSONB, nullable=False))
    op.drop_column("payment_instalments", "paid_on")
