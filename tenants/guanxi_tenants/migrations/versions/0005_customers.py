"""customers: accounts and their contacts, field permissions per role, and the change history of records

Revision ID: t0005
Revises: t0004
Create Date: 2026-11-26

Lists are served by partial indexes on (owner, updated_at, id) and (updated_at, id) over live rows, so the
default sort is a keyset walk. ``search_vector`` holds the name as Chinese character bigrams, words, pinyin
and initials (so 华强 finds 深圳华强电子 and "zhang wei" finds 张伟); phone digits and email addresses have
their own trigram-indexed columns, so a role that may not see them cannot search by them either.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0005"
down_revision = "t0004"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("custom", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("search_vector", pg.TSVECTOR, nullable=False, server_default=""),
        sa.Column("search_phones", sa.Text, nullable=False, server_default=""),
        sa.Column("search_emails", sa.Text, nullable=False, server_default=""),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", pg.UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    ]


def list_indexes(table: str) -> None:
    op.create_index(
        f"ix_{table}_updated", table, [sa.text("updated_at DESC"), sa.text("id DESC")], postgresql_where=LIVE
    )
    op.create_index(
        f"ix_{table}_owner_updated",
        table,
        ["owner_id", sa.text("updated_at DESC"), sa.text("id DESC")],
        postgresql_where=LIVE,
    )
    op.create_index(f"ix_{table}_name", table, ["name", "id"], postgresql_where=LIVE)
    op.create_index(f"ix_{table}_name_prefix", table, [sa.text("lower(name) text_pattern_ops")], postgresql_where=LIVE)
    op.create_index(f"ix_{table}_search", table, ["search_vector"], postgresql_using="gin")
    for column in ("search_phones", "search_emails"):
        op.create_index(
            f"ix_{table}_{column}", table, [sa.text(f"{column} public.gin_trgm_ops")], postgresql_using="gin"
        )
    op.create_index(f"ix_{table}_deleted", table, ["deleted_at"], postgresql_where=sa.text("deleted_at IS NOT NULL"))


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False, server_default="company"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tags", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("heat", sa.String(10)),
        sa.Column("source", sa.String(60)),
        sa.Column("industry", sa.String(100)),
        sa.Column("country", sa.String(60)),
        sa.Column("province", sa.String(60)),
        sa.Column("city", sa.String(60)),
        sa.Column("address", sa.String(500)),
        sa.Column("size", sa.String(20)),
        sa.Column("website", sa.String(500)),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(254)),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("value_rating", sa.String(10)),
        sa.Column("credit_limit", sa.Numeric(14, 2)),
        sa.Column("payment_terms_days", sa.Integer),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False, server_default="prospect"),
        sa.Column("birthday", sa.Date),
        sa.Column("age", sa.SmallInteger),
        sa.Column("job_title", sa.String(100)),
        sa.Column("last_activity_at", sa.DateTime(timezone=True)),
        *record_columns(),
        sa.CheckConstraint("kind IN ('company', 'individual')", name="kind_known"),
        sa.CheckConstraint("heat IN ('hot', 'warm', 'cold')", name="heat_known"),
        sa.CheckConstraint("lifecycle_stage IN ('prospect', 'customer', 'former_customer')", name="stage_known"),
    )
    list_indexes("accounts")
    op.create_index("ix_accounts_tags", "accounts", ["tags"], postgresql_using="gin")
    op.create_table(
        "contacts",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("family_name", sa.String(100)),
        sa.Column("given_name", sa.String(100)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(100)),
        sa.Column("phones", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("emails", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("wechat", sa.String(100)),
        sa.Column("whatsapp", sa.String(100)),
        sa.Column("line", sa.String(100)),
        sa.Column("preferred_channel", sa.String(20)),
        sa.Column("marketing_consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("consent_changed_at", sa.DateTime(timezone=True)),
        sa.Column("is_primary", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="SET NULL")),
        *record_columns(),
    )
    list_indexes("contacts")
    op.create_index("ix_contacts_account", "contacts", ["account_id"], postgresql_where=LIVE)
    op.create_index(
        "uq_contacts_primary",
        "contacts",
        ["account_id"],
        unique=True,
        postgresql_where=sa.text("is_primary AND deleted_at IS NULL"),
    )
    op.create_table(
        "field_rules",
        sa.Column("role_key", sa.String(40), sa.ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True),
        sa.Column("module", sa.String(40), primary_key=True),
        sa.Column("field", sa.String(60), primary_key=True),
        sa.Column("access", sa.String(10), nullable=False, server_default="edit"),
        sa.Column("mask", sa.String(12), nullable=False, server_default="none"),
        sa.CheckConstraint("access IN ('hidden', 'read', 'edit')", name="access_known"),
        sa.CheckConstraint("mask IN ('none', 'lists', 'everywhere')", name="mask_known"),
    )
    op.create_table(
        "record_changes",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("record_type", sa.String(40), nullable=False),
        sa.Column("record_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor_id", pg.UUID(as_uuid=True)),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("changes", pg.JSONB, nullable=False, server_default="{}"),
    )
    op.create_index(
        "ix_record_changes_record",
        "record_changes",
        ["record_type", "record_id", sa.text("occurred_at DESC"), sa.text("id DESC")],
    )


def downgrade() -> None:
    for table in ("record_changes", "field_rules", "contacts", "accounts"):
        op.drop_table(table)
