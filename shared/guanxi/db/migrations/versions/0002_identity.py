"""identity: provider identities, single-use links, TOTP, invitations, API tokens, membership status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "platform"


def uuid_column(name: str, *args: object, **kwargs: object) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, pg.UUID(as_uuid=True), *args, **kwargs)  # type: ignore[arg-type]


def timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    ]


def upgrade() -> None:
    op.alter_column("memberships", "role", type_=sa.String(40), schema=S)
    op.add_column("memberships", sa.Column("status", sa.String(20), nullable=False, server_default="active"), schema=S)
    op.create_table(
        "oauth_identities",
        uuid_column("id", primary_key=True),
        uuid_column("user_id", sa.ForeignKey(f"{S}.users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("email_verified", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.UniqueConstraint("provider", "subject", name="uq_oauth_identities_provider_subject"),
        schema=S,
    )
    op.create_index("ix_oauth_identities_user_id", "oauth_identities", ["user_id"], schema=S)
    op.create_table(
        "used_link_tokens",
        sa.Column("token_id", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(40), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        schema=S,
    )
    op.create_table(
        "user_totp",
        uuid_column("user_id", sa.ForeignKey(f"{S}.users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_step", sa.BigInteger),
        sa.Column("recovery_code_hashes", pg.ARRAY(sa.String(64)), nullable=False, server_default="{}"),
        *timestamps(),
        schema=S,
    )
    op.create_table(
        "invitations",
        uuid_column("id", primary_key=True),
        uuid_column("tenant_id", sa.ForeignKey(f"{S}.tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("role", sa.String(40), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        uuid_column("invited_by", sa.ForeignKey(f"{S}.users.id", ondelete="SET NULL")),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True)),
        uuid_column("accepted_by", sa.ForeignKey(f"{S}.users.id", ondelete="SET NULL")),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        schema=S,
    )
    op.create_index("ix_invitations_tenant_id", "invitations", ["tenant_id"], schema=S)
    op.create_table(
        "api_tokens",
        uuid_column("id", primary_key=True),
        uuid_column("tenant_id", sa.ForeignKey(f"{S}.tenants.id", ondelete="CASCADE"), nullable=False),
        uuid_column("user_id", sa.ForeignKey(f"{S}.users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scopes", pg.ARRAY(sa.String(60)), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_ip", sa.String(64)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        schema=S,
    )
    op.create_index("ix_api_tokens_tenant_id", "api_tokens", ["tenant_id"], schema=S)


def downgrade() -> None:
    for table in ("api_tokens", "invitations", "user_totp", "used_link_tokens", "oauth_identities"):
        op.drop_table(table, schema=S)
    op.drop_column("memberships", "status", schema=S)
