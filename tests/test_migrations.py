"""Alembic is the only way the schema is made: models and migrations agree, and migrations round-trip."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from zhifa import migrate
from zhifa.errors import DatabaseError
from zhifa.model import Base
from zhifa.store import Store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    url: str = request.getfixturevalue("empty_pg_url")
    return url


def test_models_and_migrations_agree(empty_url: str) -> None:
    store = Store(empty_url)
    migrate.upgrade(store)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    store.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    store = Store(empty_url)
    head = migrate.head_revision(store)
    migrate.upgrade(store)
    assert migrate.current_revision(store) == head
    migrate.downgrade(store, "base")
    assert migrate.current_revision(store) is None
    assert set(sa.inspect(store.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(store)
    assert migrate.current_revision(store) == head
    migrate.require_current(store)
    store.dispose()


def test_unmigrated_database_is_refused_with_the_fix(empty_url: str) -> None:
    store = Store(empty_url)
    with pytest.raises(DatabaseError, match=r"has no zhifa schema.*run: zhifa db upgrade"):
        migrate.require_current(store)
    store.dispose()


def test_unreachable_database_is_one_sentence() -> None:
    store = Store("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(
        DatabaseError, match=r"cannot reach the database .*check --db or ZHIFA_DATABASE_URL"
    ):
        store.ping()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    store.dispose()
