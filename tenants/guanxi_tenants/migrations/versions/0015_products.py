"""products (with cost and stock) and price lists (a currency each, a price per product, volume tiers)

Revision ID: t0015
Revises: t0014
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0015"
down_revision = "t0014"
branch_labels = None
depends_on = None


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    ]


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("sku", sa.String(60)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False, server_default=""),
        sa.Column("description", sa.Text),
        sa.Column("cost", sa.Numeric(16, 2)),  # per unit, in the workspace's currency: the margin reads it
        sa.Column("stock", sa.Numeric(14, 3), nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
    )
    op.create_index("uq_products_sku", "products", ["sku"], unique=True,
                    postgresql_where=sa.text("sku IS NOT NULL AND deleted_at IS NULL"))  # fmt: skip
    op.create_index("ix_products_name", "products", ["name", "id"], postgresql_where=sa.text("deleted_at IS NULL"))
    op.create_table(
        "price_lists",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        *timestamps(),
    )
    op.create_table(
        "price_list_items",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "price_list_id", pg.UUID(as_uuid=True), sa.ForeignKey("price_lists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("product_id", pg.UUID(as_uuid=True), sa.ForeignKey("products.id"), nullable=False),
        sa.Column("unit_price", sa.Numeric(16, 2), nullable=False),
        sa.Column("tiers", pg.JSONB, nullable=False, server_default="[]"),  # [{min_quantity, unit_price}], ascending
        sa.UniqueConstraint("price_list_id", "product_id", name="uq_price_list_items_product"),
    )


def downgrade() -> None:
    op.drop_table("price_list_items")
    op.drop_table("price_lists")
    op.drop_table("products")
