"""workspace settings: whether every member must sign in with two factors

Revision ID: t0004
Revises: t0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0004"
down_revision = "t0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "workspace_settings", sa.Column("require_two_factor", sa.Boolean, nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("workspace_settings", "require_two_factor")
