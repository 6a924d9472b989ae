"""users.timezone: the IANA time zone a person chose; NULL follows the workspace's

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "platform"


def upgrade() -> None:
    op.add_column("users", sa.Column("timezone", sa.String(64), nullable=True), schema=S)


def downgrade() -> None:
    op.drop_column("users", "timezone", schema=S)
