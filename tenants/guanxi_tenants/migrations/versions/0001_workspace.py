"""workspace settings, pipelines and stages, grading criteria and bands

Revision ID: t0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0001"
down_revision = None
branch_labels = None
depends_on = None


def record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    """What every tenant table has (see TenantRecordMixin)."""
    return [
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    ]


def upgrade() -> None:
    op.create_table(
        "workspace_settings",
        *record_columns(),
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(10), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("owner_id", pg.UUID(as_uuid=True)),
    )
    op.create_table(
        "pipelines",
        *record_columns(),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "pipeline_stages",
        *record_columns(),
        sa.Column(
            "pipeline_id", pg.UUID(as_uuid=True), sa.ForeignKey("pipelines.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("probability", sa.Numeric(5, 2), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False, server_default="open"),
        sa.UniqueConstraint("pipeline_id", "position", name="uq_pipeline_stages_pipeline_id_position"),
    )
    op.create_table(
        "grading_criteria",
        *record_columns(),
        sa.Column("key", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("weight", sa.Numeric(5, 2), nullable=False),
    )
    op.create_table(
        "grade_bands",
        *record_columns(),
        sa.Column("grade", sa.String(2), nullable=False, unique=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("share_percent", sa.Numeric(5, 2), nullable=False),
        sa.Column("complaint_response_days", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in ("grade_bands", "grading_criteria", "pipeline_stages", "pipelines", "workspace_settings"):
        op.drop_table(table)
