"""exports: lists written to a file in the background, who asked, with what, how far, and where the file is

Revision ID: t0012
Revises: t0011
Create Date: 2026-11-26

``request`` keeps the list as it was asked for (filters, sort, columns, the saved view it came from), so the
job writes exactly that list and the Exports page can say what a file holds. The file lives in storage
under ``file_key`` until ``expires_at``; the periodic purge deletes it and marks the export ``expired``.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "t0012"
down_revision = "t0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("entity", sa.String(20), nullable=False),  # accounts | contacts
        sa.Column("format", sa.String(10), nullable=False),  # csv | xlsx
        sa.Column("request", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(20), nullable=False, server_default="queued"),  # … done | failed | expired
        sa.Column("total_rows", sa.Integer),
        sa.Column("row_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("file_key", sa.String(300)),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger),
        sa.Column("failure", sa.Text),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True), nullable=False),
    )
    op.create_index("ix_exports_requester", "exports", ["created_by", sa.text("created_at DESC")])
    op.create_index("ix_exports_expiry", "exports", ["expires_at"], postgresql_where=sa.text("file_key IS NOT NULL"))


def downgrade() -> None:
    op.drop_table("exports")
