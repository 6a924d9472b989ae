"""Alembic entry point for tenant schemas.

Migrations here are written without a schema: they run with ``search_path`` set to one tenant's
schema, by ``python -m guanxi tenants migrate`` (every tenant) or into the workspace template.
"""

from alembic import context
from guanxi.db.migrate import run_tenant_env

run_tenant_env(context)  # type: ignore[arg-type]
