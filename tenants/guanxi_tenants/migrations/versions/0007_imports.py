"""imports: uploaded customer files, their mapping, progress, per-row problems, and what they changed

Revision ID: t0007
Revises: t0006
Create Date: 2026-11-26

Records an import created carry its id (``import_id``), and the changes it made are in the history under
its id (``record_changes.batch_id``): undoing an import deletes the one and reverts the other.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0007"
down_revision = "t0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("module", sa.String(40), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),  # csv | xlsx
        sa.Column("encoding", sa.String(40)),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("header", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("preview", pg.JSONB, nullable=False, server_default="[]"),
        sa.Column("mapping", pg.JSONB, nullable=False, server_default="{}"),  # column index -> field
        sa.Column("duplicates", sa.String(10), nullable=False, server_default="skip"),  # skip | update | create
        sa.Column("status", sa.String(20), nullable=False, server_default="uploaded"),
        sa.Column("total_rows", sa.Integer),
        sa.Column("processed_rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("skipped_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("problems", pg.JSONB, nullable=False, server_default="[]"),  # the first 1,000: row, column, …
        sa.Column("failure", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("undone_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    )
    op.create_index("ix_imports_created", "imports", ["module", sa.text("created_at DESC")])
    for table in ("accounts", "contacts"):
        op.add_column(table, sa.Column("import_id", pg.UUID(as_uuid=True)))
        op.create_index(f"ix_{table}_import", table, ["import_id"], postgresql_where=sa.text("import_id IS NOT NULL"))
    op.add_column("record_changes", sa.Column("batch_id", pg.UUID(as_uuid=True)))
    op.create_index(
        "ix_record_changes_batch", "record_changes", ["batch_id"], postgresql_where=sa.text("batch_id IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_record_changes_batch", "record_changes")
    op.drop_column("record_changes", "batch_id")
    for table in ("accounts", "contacts"):
        op.drop_index(f"ix_{table}_import", table)
        op.drop_column(table, "import_id")
    op.drop_table("imports")
