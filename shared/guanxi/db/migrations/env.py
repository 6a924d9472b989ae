"""Alembic entry point for the platform schema (``python -m guanxi db revision`` uses it)."""

from alembic import context
from guanxi.db.migrate import run_platform_env

run_platform_env(context)  # type: ignore[arg-type]
