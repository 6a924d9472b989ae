"""deals on the pipelines: deals, their stage history, the workspace's loss reasons

Revision ID: t0014
Revises: t0013
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0014"
down_revision = "t0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loss_reasons",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("position", sa.SmallInteger, nullable=False, server_default="0"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    )
    op.create_table(
        "deals",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("contact_id", pg.UUID(as_uuid=True), sa.ForeignKey("contacts.id")),
        sa.Column("pipeline_id", pg.UUID(as_uuid=True), sa.ForeignKey("pipelines.id"), nullable=False),
        sa.Column("stage_id", pg.UUID(as_uuid=True), sa.ForeignKey("pipeline_stages.id"), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),  # open | won | lost
        sa.Column("amount", sa.Numeric(16, 2), nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("probability", sa.Numeric(5, 2)),  # none: the stage's
        sa.Column("expected_close_date", sa.Date),
        sa.Column("owner_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id")),
        sa.Column("competitors", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("description", sa.Text),
        sa.Column("loss_reason_id", pg.UUID(as_uuid=True), sa.ForeignKey("loss_reasons.id")),
        sa.Column("loss_note", sa.String(1000)),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", pg.UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
    )
    live = sa.text("deleted_at IS NULL")
    # The kanban: one pipeline's deals by stage, the latest change first; the closed ones by when they closed.
    op.create_index("ix_deals_board", "deals", ["pipeline_id", "stage_id", sa.text("updated_at DESC"), "id"],
                    postgresql_where=live)  # fmt: skip
    op.create_index("ix_deals_board_open", "deals", ["pipeline_id", "stage_id", sa.text("updated_at DESC"), "id"],
                    postgresql_where=sa.text("deleted_at IS NULL AND status = 'open'"))  # fmt: skip
    op.create_index("ix_deals_closed", "deals", ["pipeline_id", "closed_at"],
                    postgresql_where=sa.text("deleted_at IS NULL AND status <> 'open'"))  # fmt: skip
    op.create_index("ix_deals_owner_updated", "deals", ["owner_id", sa.text("updated_at DESC"), "id"],
                    postgresql_where=live)  # fmt: skip
    op.create_index("ix_deals_updated", "deals", [sa.text("updated_at DESC"), "id"], postgresql_where=live)
    op.create_index("ix_deals_account", "deals", ["account_id"], postgresql_where=live)
    # The forecast: open deals by the month they should close.
    op.create_index("ix_deals_open_close", "deals", ["expected_close_date"],
                    postgresql_where=sa.text("deleted_at IS NULL AND status = 'open'"))  # fmt: skip
    op.create_table(
        "deal_stage_changes",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("deal_id", pg.UUID(as_uuid=True), sa.ForeignKey("deals.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_stage_id", pg.UUID(as_uuid=True)),  # none: the deal was created in ``to_stage_id``
        sa.Column("to_stage_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("amount", sa.Numeric(16, 2), nullable=False),
        sa.Column("seconds_in_previous", sa.BigInteger),
        sa.Column("actor_id", pg.UUID(as_uuid=True)),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_deal_stage_changes_deal", "deal_stage_changes", ["deal_id", "changed_at"])


def downgrade() -> None:
    op.drop_table("deal_stage_changes")
    op.drop_table("deals")
    op.drop_table("loss_reasons")
