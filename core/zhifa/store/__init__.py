"""Where the record is kept: the database, its tables and its schema migrations.

- :mod:`~zhifa.store.database`: the URL (``--db``, ``$ZHIFA_DATABASE_URL``, or ``zhifa.db``), the
  engine for SQLite or PostgreSQL, and :class:`Store` with its two kinds of transaction;
- :mod:`~zhifa.store.tables`: the tables as SQLAlchemy 2 typed models;
- :mod:`~zhifa.store.migrate`: Alembic migrations, the only way tables are made or changed
  (imported on its own: ``from zhifa.store import migrate``).
"""

from zhifa.store.database import (
    DEFAULT_URL,
    ENV_URL,
    Store,
    Transaction,
    create_db_engine,
    describe,
    resolve_url,
)

__all__ = [
    "DEFAULT_URL",
    "ENV_URL",
    "Store",
    "Transaction",
    "create_db_engine",
    "describe",
    "resolve_url",
]
