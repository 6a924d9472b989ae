"""access: members, departments, roles and their data scopes, record collaborators, audit log

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-26

Roles and their permissions are seeded from ``guanxi_tenants.access`` as it stands when this renders:
existing workspaces get today's table once, new workspaces get the table of the day they are created.
Existing members are copied from the platform memberships of the workspace whose schema this is.
"""

import sqlalchemy as sa
from alembic import op
from guanxi_tenants import access
from sqlalchemy.dialects import postgresql as pg

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None


def record_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", pg.UUID(as_uuid=True)),
    ]


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("parent_id", pg.UUID(as_uuid=True), sa.ForeignKey("departments.id", ondelete="RESTRICT")),
        sa.Column("head_id", pg.UUID(as_uuid=True)),
        *record_columns(),
    )
    op.create_index("ix_departments_parent_id", "departments", ["parent_id"])
    op.create_table(
        "members",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),  # the platform user id
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("title", sa.String(100)),
        sa.Column("department_id", pg.UUID(as_uuid=True), sa.ForeignKey("departments.id", ondelete="SET NULL")),
        sa.Column("manager_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="SET NULL")),
        sa.Column("partner_org", sa.String(100)),
        sa.Column("status", sa.String(20), nullable=False, server_default="active"),
        *record_columns(),
    )
    op.create_index("ix_members_department_id", "members", ["department_id"])
    op.create_index("ix_members_manager_id", "members", ["manager_id"])
    op.create_foreign_key(
        "fk_departments_head_id_members", "departments", "members", ["head_id"], ["id"], ondelete="SET NULL"
    )
    op.create_table(
        "roles",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("builtin", sa.Boolean, nullable=False, server_default=sa.false()),
        *record_columns(),
    )
    op.create_table(
        "role_permissions",
        sa.Column("role_key", sa.String(40), sa.ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True),
        sa.Column("module", sa.String(40), primary_key=True),
        sa.Column("action", sa.String(20), primary_key=True),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.CheckConstraint(f"scope IN ({', '.join(repr(s) for s in access.SCOPES)})", name="scope_known"),
    )
    op.create_table(
        "member_roles",
        sa.Column(
            "member_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("role_key", sa.String(40), sa.ForeignKey("roles.key", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "collaborators",
        sa.Column("record_type", sa.String(40), primary_key=True),
        sa.Column("record_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column(
            "member_id", pg.UUID(as_uuid=True), sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("access", sa.String(10), nullable=False),  # read | write
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        *record_columns(),
    )
    op.create_index("ix_collaborators_member_id", "collaborators", ["member_id", "record_type"])
    op.create_table(
        "audit_log",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor_id", pg.UUID(as_uuid=True)),
        sa.Column("actor_kind", sa.String(20), nullable=False),  # user | api_token | system
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target_type", sa.String(40)),
        sa.Column("target_id", sa.String(64)),
        sa.Column("ip", sa.String(64)),
        sa.Column("detail", pg.JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_log_occurred_at_id", "audit_log", [sa.text("occurred_at DESC"), sa.text("id DESC")])
    op.create_index("ix_audit_log_action", "audit_log", ["action", sa.text("occurred_at DESC")])

    # One multi-row INSERT each (not a statement per row): this SQL runs in every new workspace's sign-up.
    roles = sa.table(
        "roles", sa.column("key", sa.String), sa.column("name", sa.String), sa.column("builtin", sa.Boolean)
    )
    op.execute(
        roles.insert().values(
            [{"key": key, "name": names["en"], "builtin": True} for key, names in access.ROLES.items()]
        )
    )
    permissions = sa.table(
        "role_permissions",
        *(sa.column(name, sa.String) for name in ("role_key", "module", "action", "scope")),
    )
    op.execute(
        permissions.insert().values(
            [
                {"role_key": role, "module": module, "action": action, "scope": scope}
                for role, module, action, scope in access.permission_rows()
            ]
        )
    )
    # Workspaces that exist already: their members, from the platform memberships of this schema's tenant.
    op.execute(
        "INSERT INTO members (id, name, email, status) "
        "SELECT u.id, u.name, u.email, m.status FROM platform.memberships m "
        "JOIN platform.users u ON u.id = m.user_id JOIN platform.tenants t ON t.id = m.tenant_id "
        "WHERE t.schema_name = current_schema()"
    )
    op.execute(
        "INSERT INTO member_roles (member_id, role_key) "
        "SELECT m.user_id, CASE WHEN m.role IN (SELECT key FROM roles) THEN m.role ELSE 'sales_rep' END "
        "FROM platform.memberships m JOIN platform.tenants t ON t.id = m.tenant_id "
        "WHERE t.schema_name = current_schema()"
    )


def downgrade() -> None:
    for table in ("audit_log", "collaborators", "member_roles", "role_permissions", "roles"):
        op.drop_table(table)
    op.drop_constraint("fk_departments_head_id_members", "departments")
    op.drop_table("members")
    op.drop_table("departments")
