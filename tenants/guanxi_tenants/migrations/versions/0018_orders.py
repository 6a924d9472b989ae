"""orders with their lines and stored totals, payment plans (instalments), payments and invoices

Revision ID: t0018
Revises: t0017
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0018"
down_revision = "t0017"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    ]


def _money(name: str, **kw: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.Numeric(16, 2), nullable=False, server_default="0", **kw)  # type: ignore[arg-type]


def upgrade() -> None:
    uuid = pg.UUID(as_uuid=True)
    op.create_table(
        "orders",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("account_id", uuid, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("contact_id", uuid, sa.ForeignKey("contacts.id")),
        sa.Column("deal_id", uuid, sa.ForeignKey("deals.id")),
        sa.Column("contract_id", uuid),  # the foreign key comes with contracts
        sa.Column("owner_id", uuid, sa.ForeignKey("members.id")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price_list_id", uuid, sa.ForeignKey("price_lists.id")),
        sa.Column("order_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="confirmed"),
        sa.Column("carrier", sa.String(100)),
        sa.Column("tracking_number", sa.String(100)),
        sa.Column("shipped_on", sa.Date),
        sa.Column("delivered_on", sa.Date),
        sa.Column("cancelled_at", sa.DateTime(timezone=True)),
        sa.Column("note", sa.Text),
        _money("subtotal"),
        _money("discount"),
        _money("tax"),
        _money("total"),
        sa.Column("cost", sa.Numeric(16, 2)),  # none: a line's product has no cost
        sa.Column("margin", sa.Numeric(16, 2)),
        _money("collected"),
        _money("invoiced"),
        _money("plan_open"),  # what the open instalments still wait for; the rest of the open amount is unplanned
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", uuid),
        *_stamps(),
        sa.CheckConstraint("status IN ('confirmed', 'shipped', 'delivered', 'cancelled')", name="status_known"),
        sa.CheckConstraint("total >= 0 AND collected >= 0 AND collected <= total", name="collected_within_total"),
        sa.CheckConstraint("invoiced >= 0 AND invoiced <= total", name="invoiced_within_total"),
    )
    live = sa.text("deleted_at IS NULL")
    # The list: newest order date first, by owner, by account, by status; and "won amount" sums per month.
    op.create_index("ix_orders_date", "orders", [sa.text("order_date DESC"), sa.text("id DESC")], postgresql_where=live)
    op.create_index("ix_orders_owner_date", "orders", ["owner_id", sa.text("order_date DESC"), sa.text("id DESC")],
                    postgresql_where=live)  # fmt: skip
    op.create_index("ix_orders_account_date", "orders", ["account_id", sa.text("order_date DESC"), sa.text("id DESC")],
                    postgresql_where=live)  # fmt: skip
    op.create_index("ix_orders_status_date", "orders", ["status", sa.text("order_date DESC"), sa.text("id DESC")],
                    postgresql_where=live)  # fmt: skip
    # Receivables: only orders with money still open (the working set, not the archive of paid ones).
    receivable = sa.text("deleted_at IS NULL AND status <> 'cancelled' AND collected < total")
    op.create_index("ix_orders_receivable", "orders", ["account_id", "owner_id"], postgresql_where=receivable)
    op.create_index("ix_orders_deal", "orders", ["deal_id"], postgresql_where=sa.text("deal_id IS NOT NULL"))
    op.create_index(
        "ix_orders_contract", "orders", ["contract_id"], postgresql_where=sa.text("contract_id IS NOT NULL")
    )
    op.create_table(
        "order_lines",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("order_id", uuid, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("product_id", uuid, sa.ForeignKey("products.id")),
        sa.Column("position", sa.SmallInteger, nullable=False),
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
    )
    op.create_index("ix_order_lines_order", "order_lines", ["order_id", "position"])
    op.create_index("ix_order_lines_product", "order_lines", ["product_id"])
    op.create_table(
        "payment_instalments",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("order_id", uuid, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contract_id", uuid),  # the foreign key comes with contracts
        sa.Column("owner_id", uuid, sa.ForeignKey("members.id")),  # the order's, kept here for "payments due"
        sa.Column("account_id", uuid, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        _money("collected"),
        sa.Column("status", sa.String(12), nullable=False, server_default="pending"),
        sa.Column("note", sa.String(500)),
        sa.Column("reminded_at", sa.DateTime(timezone=True)),
        *_stamps(),
        sa.CheckConstraint("status IN ('pending', 'partly_paid', 'paid', 'void')", name="status_known"),
        sa.CheckConstraint("amount > 0 AND collected >= 0 AND collected <= amount", name="collected_within_amount"),
    )
    op.create_index("ix_payment_instalments_order", "payment_instalments", ["order_id", "position"])
    open_ = sa.text("status IN ('pending', 'partly_paid')")
    # "Payments due" and the reminder job: open instalments by due date, per owner; receivables per account.
    op.create_index("ix_payment_instalments_due", "payment_instalments", ["due_date", "id"], postgresql_where=open_)
    op.create_index("ix_payment_instalments_owner_due", "payment_instalments", ["owner_id", "due_date", "id"],
                    postgresql_where=open_)  # fmt: skip
    op.create_index("ix_payment_instalments_account_due", "payment_instalments", ["account_id", "due_date"],
                    postgresql_where=open_)  # fmt: skip
    op.create_table(
        "payments",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("order_id", uuid, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instalment_id", uuid, sa.ForeignKey("payment_instalments.id")),
        sa.Column("owner_id", uuid, sa.ForeignKey("members.id")),
        sa.Column("account_id", uuid, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("paid_on", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("note", sa.String(1000)),
        sa.Column("voided_at", sa.DateTime(timezone=True)),
        sa.Column("voided_by", uuid),
        *_stamps(),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )
    op.create_index("ix_payments_order", "payments", ["order_id", "paid_on"])
    op.create_index("ix_payments_instalment", "payments", ["instalment_id"])
    # The dashboard's "collected" per month and owner.
    op.create_index(
        "ix_payments_paid_on", "payments", ["paid_on", "owner_id"], postgresql_where=sa.text("voided_at IS NULL")
    )
    op.create_table(
        "invoices",
        sa.Column("id", uuid, primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("order_id", uuid, sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
        sa.Column("owner_id", uuid, sa.ForeignKey("members.id")),
        sa.Column("kind", sa.String(12), nullable=False),  # vat_normal | vat_special | generic
        sa.Column("status", sa.String(10), nullable=False, server_default="issued"),
        sa.Column("issued_on", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("taxpayer_id", sa.String(20)),
        sa.Column("address", sa.String(300)),
        sa.Column("phone", sa.String(40)),
        sa.Column("bank_name", sa.String(200)),
        sa.Column("bank_account", sa.String(40)),
        sa.Column("note", sa.String(1000)),
        sa.Column("voided_at", sa.DateTime(timezone=True)),
        *_stamps(),
        sa.CheckConstraint("status IN ('issued', 'void')", name="status_known"),
        sa.CheckConstraint("kind IN ('vat_normal', 'vat_special', 'generic')", name="kind_known"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )
    op.create_index("ix_invoices_order", "invoices", ["order_id", "issued_on"])
    op.add_column(
        "workspace_settings",
        sa.Column("payment_reminder_days", sa.SmallInteger, nullable=False, server_default="3"),
    )


def downgrade() -> None:
    op.drop_column("workspace_settings", "payment_reminder_days")
    op.drop_table("invoices")
    op.drop_table("payments")
    op.drop_table("payment_instalments")
    op.drop_table("order_lines")
    op.drop_table("orders")
