"""churn early warning: each workspace's churn settings, every owned customer's risk score with the signals that
made it, and the win-back attempts

Revision ID: t0026
Revises: t0025
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0026"
down_revision = "t0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row at most; a workspace without it runs on the defaults in guanxi.domain.churn.service.
    op.create_table(
        "churn_settings",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("threshold", sa.SmallInteger, nullable=False),
        sa.Column("points", pg.JSONB, nullable=False),
        sa.Column("order_lateness", sa.Numeric(4, 2), nullable=False),
        sa.Column("amount_drop_percent", sa.SmallInteger, nullable=False),
        sa.Column("no_activity_days", sa.SmallInteger, nullable=False),
        sa.Column("lost_deal_days", sa.SmallInteger, nullable=False),
        sa.Column("win_back_days", sa.SmallInteger, nullable=False),
        sa.Column("pool_unclaimed_days", sa.SmallInteger, nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint("id = 1", name="churn_settings_single_row"),
    )
    op.create_table(
        "churn_scores",
        sa.Column("account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("owner_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("signals", pg.JSONB, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("at_risk_since", sa.DateTime(timezone=True)),
        sa.Column("crossings", sa.Integer, nullable=False, server_default="0"),
    )  # fmt: skip
    op.create_index("ix_churn_scores_rank", "churn_scores", [sa.text("score DESC"), "account_id"])
    op.create_index("ix_churn_scores_owner_rank", "churn_scores", ["owner_id", sa.text("score DESC"), "account_id"])
    op.create_table(
        "churn_win_backs",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("member_id", pg.UUID(as_uuid=True), nullable=False),
        sa.Column("owner_id", pg.UUID(as_uuid=True)),
        sa.Column("note", sa.String(1000), nullable=False, server_default=""),
        sa.Column("score", sa.SmallInteger),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )  # fmt: skip
    op.create_index("ix_churn_win_backs_account", "churn_win_backs", ["account_id", "created_at"])
    op.create_index("ix_churn_win_backs_created", "churn_win_backs", ["created_at"])


def downgrade() -> None:
    op.drop_table("churn_win_backs")
    op.drop_table("churn_scores")
    op.drop_table("churn_settings")
