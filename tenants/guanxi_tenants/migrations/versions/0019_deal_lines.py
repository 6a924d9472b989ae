"""deal line items: the products a deal is about, priced, with the unit cost kept for the margin

Revision ID: t0019
Revises: t0018
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0019"
down_revision = "t0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal_lines",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("deal_id", pg.UUID(as_uuid=True), sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("product_id", pg.UUID(as_uuid=True), sa.ForeignKey("products.id")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("unit", sa.String(20), nullable=False, server_default=""),
        sa.Column("quantity", sa.Numeric(14, 3), nullable=False),
        sa.Column("unit_price", sa.Numeric(16, 2), nullable=False),
        sa.Column("discount_percent", sa.Numeric(5, 2), nullable=False, server_default="0"),
        sa.Column("tax_rate", sa.Numeric(5, 2), nullable=False, server_default="0"),
        sa.Column("unit_cost", sa.Numeric(16, 2)),
        sa.Column("net_amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(16, 2), nullable=False, server_default="0"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0", name="line_amounts_sane"),
    )
    op.create_index("ix_deal_lines_deal", "deal_lines", ["deal_id", "position"])
    op.create_index("ix_deal_lines_product", "deal_lines", ["product_id"])


def downgrade() -> None:
    op.drop_table("deal_lines")
