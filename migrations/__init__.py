"""Alembic environment and versions for zhifa's schema (installed as ``zhifa.migrations``)."""
