"""billing: one subscription per workspace (plan, status, seats, Stripe ids) and every Stripe event once

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "platform"


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("tenant_id", pg.UUID(as_uuid=True), sa.ForeignKey(f"{S}.tenants.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("plan_key", sa.String(40), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("interval", sa.String(5)),
        sa.Column("currency", sa.String(3)),
        sa.Column("seats", sa.Integer, nullable=False, server_default="1"),
        sa.Column("trial_ends_at", sa.DateTime(timezone=True)),
        sa.Column("current_period_end", sa.DateTime(timezone=True)),
        sa.Column("cancel_at_period_end", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("payment_failed_at", sa.DateTime(timezone=True)),
        sa.Column("stripe_customer_id", sa.String(255), unique=True),
        sa.Column("stripe_subscription_id", sa.String(255), unique=True),
        sa.Column("stripe_status", sa.String(30)),
        sa.Column("stripe_event_created", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("payment_event_created", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('trialing', 'active', 'past_due', 'read_only', 'canceled')",
                           name="status_known"),
        schema=S,
    )  # fmt: skip
    op.create_index("ix_subscriptions_status", "subscriptions", ["status", "trial_ends_at"], schema=S)
    op.create_table(
        "stripe_events",
        sa.Column("id", sa.String(255), primary_key=True),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("created", sa.BigInteger, nullable=False),
        sa.Column("tenant_id", pg.UUID(as_uuid=True)),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.Text),
        schema=S,
    )
    op.create_index("ix_stripe_events_unapplied", "stripe_events", ["received_at"], schema=S,
                    postgresql_where=sa.text("applied_at IS NULL"))  # fmt: skip
    # Every workspace there is today starts the trial now.
    op.execute(f"""
        INSERT INTO {S}.subscriptions (tenant_id, plan_key, status, trial_ends_at)
        SELECT id, 'trial', 'trialing', now() + interval '14 days' FROM {S}.tenants
        ON CONFLICT DO NOTHING
    """)


def downgrade() -> None:
    op.drop_table("stripe_events", schema=S)
    op.drop_table("subscriptions", schema=S)
