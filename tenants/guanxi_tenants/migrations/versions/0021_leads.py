"""leads: leads and the lead pool, assignment rules, web forms, activities on a lead, imports into pools

Revision ID: t0021
Revises: t0020
Create Date: 2026-11-26

A lead without an owner is in the lead pool. An activity belongs to an account, or (before conversion) to a
lead; converting the lead moves its activities onto the new account and contact. Leads can be imported, and
an import of accounts may put them straight into a customer pool (``imports.pool_id``).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0021"
down_revision = "t0020"
branch_labels = None
depends_on = None

STATUSES = ("new", "contacted", "qualified", "unqualified", "converted")
CHANNELS = ("api", "form", "import", "manual")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100)),
        sa.Column("company", sa.String(200)),
        sa.Column("title", sa.String(100)),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(254)),
        sa.Column("source", sa.String(60)),
        sa.Column("region", sa.String(60)),
        sa.Column("industry", sa.String(100)),
        sa.Column("employees", sa.Integer),
        sa.Column("estimated_value", sa.Numeric(16, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("tags", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(12), nullable=False, server_default="new"),
        sa.Column("qualification_note", sa.String(1000)),
        sa.Column("disqualify_reason", sa.String(1000)),
        sa.Column("captured_via", sa.String(10), nullable=False, server_default="manual"),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id")),
        sa.Column("contact_id", pg.UUID(as_uuid=True), sa.ForeignKey("contacts.id")),
        sa.Column("deal_id", pg.UUID(as_uuid=True), sa.ForeignKey("deals.id")),
        sa.Column("converted_at", sa.DateTime(timezone=True)),
        sa.Column("import_id", pg.UUID(as_uuid=True)),  # the import that created the lead (undo removes it)
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", pg.UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint(f"status IN ({_quoted(STATUSES)})", name="lead_status"),
        sa.CheckConstraint(f"captured_via IN ({_quoted(CHANNELS)})", name="lead_captured_via"),
        sa.CheckConstraint("name IS NOT NULL OR company IS NOT NULL", name="lead_named"),
    )
    live = sa.text("deleted_at IS NULL")
    op.create_index("ix_leads_updated", "leads", [sa.text("updated_at DESC"), "id"], postgresql_where=live)
    op.create_index("ix_leads_owner_updated", "leads", ["owner_id", sa.text("updated_at DESC"), "id"],
                    postgresql_where=live)  # fmt: skip
    op.create_index("ix_leads_status_updated", "leads", ["status", sa.text("updated_at DESC"), "id"],
                    postgresql_where=live)  # fmt: skip
    # The lead pool: the unowned leads, newest change first.
    op.create_index("ix_leads_pool", "leads", [sa.text("updated_at DESC"), "id"],
                    postgresql_where=sa.text("deleted_at IS NULL AND owner_id IS NULL"))  # fmt: skip
    for column in ("name", "company", "email", "phone"):
        op.create_index(
            f"ix_leads_{column}_trgm", "leads", [sa.text(f"{column} public.gin_trgm_ops")], postgresql_using="gin"
        )
    op.create_table(
        "lead_assignment_rules",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("sources", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("regions", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("min_employees", sa.Integer),
        sa.Column("max_employees", sa.Integer),
        sa.Column("member_ids", pg.ARRAY(pg.UUID(as_uuid=True)), nullable=False, server_default="{}"),
        sa.Column("department_id", pg.UUID(as_uuid=True), sa.ForeignKey("departments.id", ondelete="CASCADE")),
        sa.Column("turn", sa.Integer, nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    )
    op.create_table(
        "lead_forms",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("fields", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("source", sa.String(60)),
        sa.Column("thank_you", sa.String(1000)),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    )
    # An import of accounts may put them straight into a customer pool, unowned.
    op.add_column("imports", sa.Column("pool_id", pg.UUID(as_uuid=True), sa.ForeignKey("pools.id")))
    op.add_column("activities", sa.Column("lead_id", pg.UUID(as_uuid=True), sa.ForeignKey("leads.id")))
    op.alter_column("activities", "account_id", nullable=True)
    op.create_check_constraint("activity_on_record", "activities", "account_id IS NOT NULL OR lead_id IS NOT NULL")
    op.create_index("ix_activities_lead", "activities", ["lead_id", sa.text("occurred_at DESC"), "id"],
                    postgresql_where=sa.text("lead_id IS NOT NULL"))  # fmt: skip


def downgrade() -> None:
    op.execute("DELETE FROM activities WHERE account_id IS NULL")
    op.drop_constraint("activity_on_record", "activities")
    op.alter_column("activities", "account_id", nullable=False)
    op.drop_column("activities", "lead_id")
    op.drop_column("imports", "pool_id")
    op.drop_table("lead_forms")
    op.drop_table("lead_assignment_rules")
    op.drop_table("leads")
