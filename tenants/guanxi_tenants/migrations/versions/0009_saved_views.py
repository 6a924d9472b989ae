"""saved views: a named list (filters, sort, columns) kept for oneself or shared with the team

Revision ID: t0009
Revises: t0008
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0009"
down_revision = "t0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("module", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("filters", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("sort", sa.String(50), nullable=False, server_default="-updated_at"),
        sa.Column("columns", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("shared", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    )
    op.create_index("ix_saved_views_module", "saved_views", ["module", "owner_id"])


def downgrade() -> None:
    op.drop_table("saved_views")
