"""sales targets per period, metric and subject; an index for won amounts by close date

Revision ID: t0020
Revises: t0019
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0020"
down_revision = "t0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sales_targets",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("metric", sa.String(10), nullable=False),
        sa.Column("subject_type", sa.String(10), nullable=False),
        sa.Column("subject_id", pg.UUID(as_uuid=True)),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint("amount >= 0", name="target_not_negative"),
        sa.CheckConstraint("metric IN ('won', 'collected')", name="target_metric_known"),
        sa.CheckConstraint(
            "(subject_type = 'company') = (subject_id IS NULL) AND subject_type IN ('company', 'department', 'member')",
            name="target_subject_known",
        ),
    )
    op.create_index(
        "uq_sales_targets", "sales_targets", ["period", "metric", "subject_type", "subject_id"], unique=True,
        postgresql_nulls_not_distinct=True,
    )  # fmt: skip
    # Won amounts of a period by owner: an index-only range scan on the close date of won deals.
    op.create_index(
        "ix_deals_won", "deals", ["closed_at"], postgresql_include=["owner_id", "currency", "amount"],
        postgresql_where=sa.text("status = 'won' AND deleted_at IS NULL"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_deals_won", table_name="deals")
    op.drop_table("sales_targets")
