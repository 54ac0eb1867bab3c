"""Alembic migrations of the server's database (shipped in the wheel)."""
