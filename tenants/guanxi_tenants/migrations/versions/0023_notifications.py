"""the in-app notification centre and each member's notification preferences

Revision ID: t0023
Revises: t0022
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0023"
down_revision = "t0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("user_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("link", sa.String(500)),
        sa.Column("params", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("dedupe_key", sa.String(200)),
        sa.Column("in_app", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("email", sa.String(10), nullable=False, server_default="none"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("emailed_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("email IN ('none', 'instant', 'digest')", name="notification_email_known"),
    )
    op.create_index("uq_notifications_dedupe", "notifications", ["user_id", "dedupe_key"], unique=True)
    op.create_index("ix_notifications_inbox", "notifications", ["user_id", "id"], postgresql_where=sa.text("in_app"))
    op.create_index(
        "ix_notifications_unread", "notifications", ["user_id"], postgresql_where=sa.text("in_app AND read_at IS NULL")
    )
    op.create_index(
        "ix_notifications_digest", "notifications", ["user_id"],
        postgresql_where=sa.text("email = 'digest' AND emailed_at IS NULL"),
    )  # fmt: skip
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(60), primary_key=True),
        sa.Column("in_app", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("email", sa.String(10), nullable=False, server_default="none"),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("email IN ('none', 'instant', 'digest')", name="notification_preference_email_known"),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_table("notifications")
