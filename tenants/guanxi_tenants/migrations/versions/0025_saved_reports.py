"""saved reports: a predefined report with parameters or a builder definition, owned and shared

Revision ID: t0025
Revises: t0024
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0025"
down_revision = "t0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_reports",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("report_key", sa.String(60)),
        sa.Column("params", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("definition", pg.JSONB),
        sa.Column("shared_with", sa.String(10), nullable=False, server_default="private"),
        sa.Column("member_ids", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint("shared_with IN ('private', 'everyone', 'members')", name="saved_report_sharing_known"),
        sa.CheckConstraint("(report_key IS NULL) <> (definition IS NULL)", name="saved_report_one_kind"),
    )
    op.create_index("ix_saved_reports_owner", "saved_reports", ["owner_id", "id"])
    op.create_index("ix_saved_reports_members", "saved_reports", ["member_ids"], postgresql_using="gin")
    op.create_table(
        "report_schedules",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("saved_report_id", pg.UUID(as_uuid=True), sa.ForeignKey("saved_reports.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False),
        sa.Column("hour", sa.SmallInteger, nullable=False),
        sa.Column("weekday", sa.SmallInteger),
        sa.Column("day_of_month", sa.SmallInteger),
        sa.Column("formats", pg.ARRAY(sa.String(4)), nullable=False, server_default="{}"),
        sa.Column("recipients", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint("hour BETWEEN 0 AND 23", name="report_schedule_hour"),
        sa.CheckConstraint(
            "(frequency = 'daily') OR (frequency = 'weekly' AND weekday BETWEEN 0 AND 6)"
            " OR (frequency = 'monthly' AND day_of_month BETWEEN 1 AND 28)",
            name="report_schedule_frequency",
        ),
    )  # fmt: skip
    op.create_index("ix_report_schedules_report", "report_schedules", ["saved_report_id"])
    op.create_table(
        "report_deliveries",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("schedule_id", pg.UUID(as_uuid=True), sa.ForeignKey("report_schedules.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("member_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("slot", sa.String(10), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("schedule_id", "member_id", "slot", name="uq_report_deliveries_slot"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("report_deliveries")
    op.drop_table("report_schedules")
    op.drop_table("saved_reports")
