"""work report submission rules: who must submit which report on which days, by when, and when they are reminded

Revision ID: t0028
Revises: t0027
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0028"
down_revision = "t0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_report_rules",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("audience", sa.String(12), nullable=False),
        sa.Column("department_ids", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("member_ids", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("weekdays", pg.ARRAY(sa.SmallInteger), nullable=False, server_default="{}"),
        sa.Column("due_weekday", sa.SmallInteger, nullable=True),
        sa.Column("day_of_month", sa.SmallInteger, nullable=True),
        sa.Column("deadline", sa.Time, nullable=False),
        sa.Column("remind_minutes", sa.Integer, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True), nullable=True),
        sa.CheckConstraint("kind IN ('daily', 'weekly', 'monthly')", name="work_report_rule_kind_known"),
        sa.CheckConstraint("audience IN ('everyone', 'departments', 'members')", name="work_report_rule_audience"),
        sa.CheckConstraint("remind_minutes BETWEEN 0 AND 1440", name="work_report_rule_remind_minutes"),
    )
    op.create_index("ix_work_report_rules_kind", "work_report_rules", ["kind", "id"])


def downgrade() -> None:
    op.drop_table("work_report_rules")
