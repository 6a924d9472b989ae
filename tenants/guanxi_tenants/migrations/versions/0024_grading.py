"""customer grading: workspace settings, runs, the latest run's scores, manual grades and grade history

Revision ID: t0024
Revises: t0023
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0024"
down_revision = "t0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per workspace; no row means the defaults of guanxi.domain.grading.settings (10/30/60, 20/30/50 %).
    op.create_table(
        "grading_settings",
        sa.Column("id", sa.SmallInteger, primary_key=True),
        sa.Column("config", pg.JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", pg.UUID(as_uuid=True)),
        sa.CheckConstraint("id = 1", name="grading_settings_single_row"),
    )
    op.create_table(
        "grading_runs",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),  # queued | running | done | failed
        sa.Column("trigger", sa.String(10), nullable=False),  # nightly | manual
        sa.Column("requested_by", pg.UUID(as_uuid=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("scored", sa.Integer, nullable=False, server_default="0"),
        sa.Column("changed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("duration_ms", sa.Integer),
        sa.Column("config", pg.JSONB),
    )
    op.create_index("ix_grading_runs_created", "grading_runs", ["created_at"])
    op.create_index(
        "ix_grading_runs_open", "grading_runs", ["status"], unique=False,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )  # fmt: skip
    op.create_table(
        "grading_scores",
        # No foreign keys: a run writes every customer's row at once, and checking two keys per row cost as much
        # as the scoring; rows of other runs are deleted by the run itself, the report joins live accounts.
        sa.Column("run_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("account_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("score", sa.Numeric(7, 2), nullable=False),
        sa.Column("computed_grade", sa.String(2), nullable=False),
        sa.Column("previous_grade", sa.String(2)),
        sa.Column("raw", pg.JSONB, nullable=False),
        sa.Column("points", pg.JSONB, nullable=False),
    )
    op.create_index("ix_grading_scores_order", "grading_scores", ["run_id", sa.text("score DESC"), "account_id"])
    op.create_table(
        "manual_grades",
        sa.Column(
            "account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("grade", sa.String(2), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("set_by", pg.UUID(as_uuid=True)),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    # 成长潜力: a manager's 0-100 score for a customer without history
    op.create_table(
        "growth_scores",
        sa.Column(
            "account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("set_by", pg.UUID(as_uuid=True)),
        sa.Column("set_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="growth_score_range"),
    )
    op.create_table(
        "grade_history",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "account_id", pg.UUID(as_uuid=True), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("from_grade", sa.String(2)),
        sa.Column("to_grade", sa.String(2)),
        sa.Column("source", sa.String(10), nullable=False),  # run | manual | unset
        sa.Column("reason", sa.String(500)),
        sa.Column("run_id", pg.UUID(as_uuid=True)),
        sa.Column("actor_id", pg.UUID(as_uuid=True)),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_grade_history_account", "grade_history", ["account_id", sa.text("changed_at DESC"), "id"])
    op.create_index("ix_grade_history_changed", "grade_history", ["changed_at"])


def downgrade() -> None:
    op.drop_table("grade_history")
    op.drop_table("growth_scores")
    op.drop_table("manual_grades")
    op.drop_table("grading_scores")
    op.drop_table("grading_runs")
    op.drop_table("grading_settings")
