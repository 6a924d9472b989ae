"""activity reminders: when a reminder went out, and the index the reminder scan walks

Revision ID: t0011
Revises: t0010
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0011"
down_revision = "t0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activities", sa.Column("reminded_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_activities_reminders", "activities", ["reminder_at"],
        postgresql_where=sa.text("reminded_at IS NULL AND reminder_at IS NOT NULL AND deleted_at IS NULL"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_activities_reminders", "activities")
    op.drop_column("activities", "reminded_at")
