"""users.is_operator: the people who run the installation (the operator's pages and API); granted by the CLI

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "platform"


def upgrade() -> None:
    op.add_column("users", sa.Column("is_operator", sa.Boolean, nullable=False, server_default=sa.false()), schema=S)
    # A handful among many users: ``operators list`` reads them without scanning every user.
    op.create_index("ix_users_operators", "users", ["id"], schema=S, postgresql_where=sa.text("is_operator"))


def downgrade() -> None:
    op.drop_index("ix_users_operators", "users", schema=S)
    op.drop_column("users", "is_operator", schema=S)
