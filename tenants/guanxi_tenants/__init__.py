"""What a tenant workspace is made of: its schema migrations and the defaults a new workspace gets."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
