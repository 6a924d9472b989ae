"""document numbering rules (pattern, reset period) and their counters

Revision ID: t0016
Revises: t0015
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0016"
down_revision = "t0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "numbering_rules",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("pattern", sa.String(60), nullable=False),
        sa.Column("reset", sa.String(10), nullable=False),
        sa.CheckConstraint("reset IN ('never', 'yearly', 'monthly', 'daily')", name="reset_known"),
    )
    op.create_table(
        "number_counters",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("period", sa.String(8), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("number_counters")
    op.drop_table("numbering_rules")
