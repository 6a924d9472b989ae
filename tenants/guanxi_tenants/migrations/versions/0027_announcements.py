"""internal announcements to everyone or to departments, with read receipts; work reports and their comments

Revision ID: t0027
Revises: t0026
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0027"
down_revision = "t0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("department_ids", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("author_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_announcements_feed", "announcements", ["pinned", "id"])
    op.create_table(
        "announcement_reads",
        sa.Column(
            "announcement_id", pg.UUID(as_uuid=True), sa.ForeignKey("announcements.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("read_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )  # fmt: skip
    op.create_table(
        "work_reports",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("author_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("figures", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("plans", sa.Text, nullable=False, server_default=""),
        sa.Column("problems", sa.Text, nullable=False, server_default=""),
        sa.Column("submitted_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('daily', 'weekly', 'monthly')", name="work_report_kind_known"),
    )
    op.create_index("uq_work_reports_period", "work_reports", ["author_id", "kind", "period_start"], unique=True)
    op.create_index("ix_work_reports_author", "work_reports", ["author_id", "id"])
    op.create_table(
        "work_report_comments",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "report_id", pg.UUID(as_uuid=True), sa.ForeignKey("work_reports.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("author_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_work_report_comments_report_id", "work_report_comments", ["report_id"])


def downgrade() -> None:
    op.drop_table("work_report_comments")
    op.drop_table("work_reports")
    op.drop_table("announcement_reads")
    op.drop_table("announcements")
