"""orders and payment plans linked to their contract; collected and outstanding amounts by owner from covering indexes

Revision ID: t0022
Revises: t0021
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "t0022"
down_revision = "t0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_foreign_key("fk_orders_contract", "orders", "contracts", ["contract_id"], ["id"])
    op.create_foreign_key(
        "fk_payment_instalments_contract", "payment_instalments", "contracts", ["contract_id"], ["id"]
    )
    # The target dashboard's collected amounts (回款) of a period by owner: an index-only range scan.
    op.create_index(
        "ix_payments_collected", "payments", ["paid_on"], postgresql_include=["owner_id", "currency", "amount"],
        postgresql_where=sa.text("voided_at IS NULL"),
    )  # fmt: skip
    # ... and what live orders still wait for, by owner: an index-only scan of the open orders alone.
    op.create_index(
        "ix_orders_outstanding", "orders", ["owner_id", "currency"], postgresql_include=["total", "collected"],
        postgresql_where=sa.text("deleted_at IS NULL AND status <> 'cancelled' AND collected < total"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_orders_outstanding", table_name="orders")
    op.drop_index("ix_payments_collected", table_name="payments")
    op.drop_constraint("fk_payment_instalments_contract", "payment_instalments", type_="foreignkey")
    op.drop_constraint("fk_orders_contract", "orders", type_="foreignkey")
