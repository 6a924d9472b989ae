"""workspace settings: how long the audit log is kept

Revision ID: t0003
Revises: t0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0003"
down_revision = "t0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "workspace_settings", sa.Column("audit_retention_days", sa.Integer, nullable=False, server_default="365")
    )


def downgrade() -> None:
    op.drop_column("workspace_settings", "audit_retention_days")
