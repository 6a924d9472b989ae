"""custom fields: the fields a workspace adds to accounts and contacts, and the index that filters by them

Revision ID: t0006
Revises: t0005
Create Date: 2026-11-26

Values live in the record's ``custom`` JSONB (key -> value); a GIN ``jsonb_path_ops`` index answers
equality filters (``custom @> '{"key": value}'``) on any field without an index per field.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0006"
down_revision = "t0005"
branch_labels = None
depends_on = None

TYPES = (
    "text", "long_text", "number", "currency", "date", "single_select", "multi_select", "user", "url", "email",
    "phone", "checkbox",
)  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "custom_fields",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("module", sa.String(40), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("options", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("archived_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.UniqueConstraint("module", "key", name="uq_custom_fields_module_key"),
        sa.CheckConstraint(f"type IN ({', '.join(repr(t) for t in TYPES)})", name="type_known"),
    )
    for table in ("accounts", "contacts"):
        op.create_index(f"ix_{table}_custom", table, [sa.text("custom jsonb_path_ops")], postgresql_using="gin")


def downgrade() -> None:
    for table in ("accounts", "contacts"):
        op.drop_index(f"ix_{table}_custom", table)
    op.drop_table("custom_fields")
