"""quotes with their lines, print templates, contracts with their lines, and the contract reminder setting

Revision ID: t0017
Revises: t0016
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0017"
down_revision = "t0016"
branch_labels = None
depends_on = None


def timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    ]


def line_columns(parent: str) -> list[sa.Column]:
    return [
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(f"{parent}_id", pg.UUID(as_uuid=True), sa.ForeignKey(f"{parent}s.id", ondelete="CASCADE"),
                  nullable=False),
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
    ]  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "print_templates",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("language", sa.String(10), nullable=False, server_default="en"),
        sa.Column("company_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
        sa.Column("logo", sa.LargeBinary),
        sa.Column("accent_color", sa.String(7), nullable=False, server_default="#1d4ed8"),
        sa.Column("title", sa.String(100), nullable=False, server_default=""),
        sa.Column("footer", sa.Text, nullable=False, server_default=""),
        sa.Column("columns", pg.ARRAY(sa.Text), nullable=False),
        *timestamps(),
    )
    op.create_table(
        "quotes",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("contact_id", pg.UUID(as_uuid=True), sa.ForeignKey("contacts.id")),
        sa.Column("deal_id", pg.UUID(as_uuid=True), sa.ForeignKey("deals.id")),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("price_list_id", pg.UUID(as_uuid=True), sa.ForeignKey("price_lists.id")),
        sa.Column("template_id", pg.UUID(as_uuid=True), sa.ForeignKey("print_templates.id", ondelete="SET NULL")),
        sa.Column("status", sa.String(10), nullable=False, server_default="draft"),
        sa.Column("valid_until", sa.Date),
        sa.Column("terms", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("subtotal", sa.Numeric(16, 2), nullable=False, server_default="0"),
        sa.Column("discount", sa.Numeric(16, 2), nullable=False, server_default="0"),
        sa.Column("tax", sa.Numeric(16, 2), nullable=False, server_default="0"),
        sa.Column("total", sa.Numeric(16, 2), nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("sent_to", sa.String(254)),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decided_by", pg.UUID(as_uuid=True)),
        sa.Column("rejection_reason", sa.String(1000)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.CheckConstraint("status IN ('draft', 'sent', 'accepted', 'rejected')", name="quote_status_known"),
    )
    live = sa.text("deleted_at IS NULL")
    op.create_index("ix_quotes_list", "quotes", ["created_at", "id"], postgresql_where=live)
    op.create_index("ix_quotes_status", "quotes", ["status", "valid_until"], postgresql_where=live)
    op.create_index("ix_quotes_account", "quotes", ["account_id", "created_at"], postgresql_where=live)
    op.create_index("ix_quotes_owner", "quotes", ["owner_id", "created_at"], postgresql_where=live)
    op.create_index("ix_quotes_deal", "quotes", ["deal_id"], postgresql_where=live)
    op.create_table("quote_lines", *line_columns("quote"))
    op.create_index("ix_quote_lines_quote", "quote_lines", ["quote_id", "position"])
    op.create_table(
        "contracts",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("number", sa.String(60), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("quote_id", pg.UUID(as_uuid=True), sa.ForeignKey("quotes.id"), unique=True),
        sa.Column("account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("deal_id", pg.UUID(as_uuid=True), sa.ForeignKey("deals.id")),
        sa.Column("customer_signatory_id", pg.UUID(as_uuid=True), sa.ForeignKey("contacts.id")),
        sa.Column("our_signatory_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("signed_date", sa.Date),
        sa.Column("status", sa.String(10), nullable=False, server_default="draft"),
        sa.Column("notes", sa.Text),
        sa.Column("reminded_for", sa.Date),  # the end date the expiry reminder went out for: once per end date
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.CheckConstraint("status IN ('draft', 'active', 'expired', 'terminated')", name="contract_status_known"),
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )
    op.create_index("ix_contracts_list", "contracts", ["created_at", "id"], postgresql_where=live)
    op.create_index("ix_contracts_end", "contracts", ["status", "end_date"], postgresql_where=live)
    op.create_index("ix_contracts_account", "contracts", ["account_id", "created_at"], postgresql_where=live)
    op.create_index("ix_contracts_owner", "contracts", ["owner_id", "created_at"], postgresql_where=live)
    op.create_table("contract_lines", *line_columns("contract"))
    op.create_index("ix_contract_lines_contract", "contract_lines", ["contract_id", "position"])
    op.add_column(
        "workspace_settings",
        sa.Column("contract_reminder_days", sa.SmallInteger, nullable=False, server_default="30"),
    )


def downgrade() -> None:
    op.drop_column("workspace_settings", "contract_reminder_days")
    op.drop_table("contract_lines")
    op.drop_table("contracts")
    op.drop_table("quote_lines")
    op.drop_table("quotes")
    op.drop_table("print_templates")
