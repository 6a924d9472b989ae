"""activities: calls, meetings, visits, emails, notes and tasks on accounts (跟进记录 and 待办)

Revision ID: t0008
Revises: t0007
Create Date: 2026-11-26

A record's timeline walks ``(account_id, occurred_at, id)``; a member's calendar walks
``(owner_id, due_at)`` over open tasks and meetings.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0008"
down_revision = "t0007"
branch_labels = None
depends_on = None

KINDS = ("call", "meeting", "visit", "email", "note", "task")


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("contact_id", pg.UUID(as_uuid=True), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("ends_at", sa.DateTime(timezone=True)),
        sa.Column("reminder_at", sa.DateTime(timezone=True)),
        sa.Column("done_at", sa.DateTime(timezone=True)),
        sa.Column("duration_seconds", sa.Integer),
        sa.Column("direction", sa.String(10)),
        sa.Column("outcome", sa.String(40)),
        sa.Column("location", sa.String(200)),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", pg.UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint(f"kind IN ({', '.join(repr(k) for k in KINDS)})", name="kind_known"),
        sa.CheckConstraint("direction IN ('inbound', 'outbound')", name="direction_known"),
    )
    live = sa.text("deleted_at IS NULL")
    op.create_index(
        "ix_activities_account", "activities", ["account_id", sa.text("occurred_at DESC"), sa.text("id DESC")],
        postgresql_where=live,
    )  # fmt: skip
    op.create_index(
        "ix_activities_contact", "activities", ["contact_id", sa.text("occurred_at DESC")], postgresql_where=live
    )
    op.create_index(
        "ix_activities_calendar", "activities", ["owner_id", "due_at"],
        postgresql_where=sa.text("deleted_at IS NULL AND due_at IS NOT NULL"),
    )  # fmt: skip
    op.create_index(
        "ix_activities_owner", "activities", ["owner_id", sa.text("occurred_at DESC"), sa.text("id DESC")],
        postgresql_where=live,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("activities")
