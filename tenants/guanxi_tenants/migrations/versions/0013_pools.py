"""the shared customer pool (客户公海): pools, their members and recycling rules, claims; pool columns on accounts

Revision ID: t0013
Revises: t0012
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0013"
down_revision = "t0012"
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
        "pools",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("daily_claim_limit", sa.Integer),
        sa.Column("owned_cap", sa.Integer),
        sa.Column("cap_counts_won", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("locked_cap", sa.Integer),
        sa.Column("reclaim_cooldown_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("warn_days", sa.Integer, nullable=False, server_default="3"),
        sa.Column("recycle_won", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("recycle_with_open_deal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("hide_contact_details", sa.Boolean, nullable=False, server_default=sa.true()),
        *timestamps(),
    )
    op.create_index("uq_pools_default", "pools", ["is_default"], unique=True, postgresql_where=sa.text("is_default"))
    op.create_table(
        "pool_members",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("pool_id", pg.UUID(as_uuid=True), sa.ForeignKey("pools.id", ondelete="CASCADE"), nullable=False),
        sa.Column("member_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="CASCADE")),
        sa.Column("department_id", pg.UUID(as_uuid=True), sa.ForeignKey("departments.id", ondelete="CASCADE")),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.CheckConstraint("(member_id IS NULL) <> (department_id IS NULL)", name="one_of_member_department"),
    )
    op.create_index("ix_pool_members_pool", "pool_members", ["pool_id"])
    op.create_table(
        "pool_rules",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("pool_id", pg.UUID(as_uuid=True), sa.ForeignKey("pools.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),  # no_follow_up | no_open_deal | not_won
        sa.Column("days", pg.JSONB, nullable=False),  # grade -> days, "*" for any other grade or none
        sa.Column("position", sa.SmallInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_pool_rules_pool", "pool_rules", ["pool_id"])
    op.create_table(
        "pool_events",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("pool_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("account_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("member_id", pg.UUID(as_uuid=True)),  # who claimed, or whose customer it was
        sa.Column("actor_id", pg.UUID(as_uuid=True)),  # who did it; none for the nightly job
        sa.Column("action", sa.String(20), nullable=False),  # claimed | assigned | released | reclaimed
        sa.Column("reason", sa.String(500)),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # The daily claim limit counts one member's claims of today; the cool-down looks up an account's returns.
    op.create_index("ix_pool_events_member", "pool_events", ["member_id", "action", "occurred_at"])
    op.create_index("ix_pool_events_account", "pool_events", ["account_id", "occurred_at"])
    op.add_column("accounts", sa.Column("pool_id", pg.UUID(as_uuid=True), sa.ForeignKey("pools.id")))
    op.add_column("accounts", sa.Column("claimed_at", sa.DateTime(timezone=True)))
    op.add_column("accounts", sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("accounts", sa.Column("grade", sa.String(2)))
    op.add_column("accounts", sa.Column("returned_at", sa.DateTime(timezone=True)))
    op.add_column("accounts", sa.Column("previous_owner_id", pg.UUID(as_uuid=True)))
    op.add_column("accounts", sa.Column("return_reason", sa.String(500)))
    # What sits in a pool, newest return first: the pool list's keyset.
    op.create_index(
        "ix_accounts_in_pool", "accounts", ["pool_id", "returned_at", "id"],
        postgresql_where=sa.text("owner_id IS NULL AND deleted_at IS NULL"),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_accounts_in_pool", "accounts")
    for column in ("return_reason", "previous_owner_id", "returned_at", "grade", "locked", "claimed_at",
                   "pool_id"):  # fmt: skip
        op.drop_column("accounts", column)
    op.drop_table("pool_events")
    op.drop_table("pool_rules")
    op.drop_table("pool_members")
    op.drop_table("pools")
