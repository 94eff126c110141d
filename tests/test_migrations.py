"""Alembic is the only way the schema is made: models and migrations agree, and migrations round-trip."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from zhifa import directory
from zhifa.errors import DatabaseError
from zhifa.store import Store, migrate
from zhifa.store.tables import HISTORY_START, Base, Officer, OfficerVersion


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


def test_officer_history_upgrade_seeds_each_officer_from_the_earliest_time(
    empty_url: str,
) -> None:
    """0002 keeps each existing officer's record as its first version, in effect since
    HISTORY_START, so steps taken before the upgrade are judged on the only record known."""
    store = Store(empty_url)
    migrate.upgrade(store, "0001")
    with store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO departments (code, name, region_code) VALUES ('D', '局', '330106')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO officers (id, name, department_code, roles, certificate_no, "
                "certificate_valid_from, certificate_valid_to) VALUES "
                "('C1', '李明', 'D', 'inspector', 'ZF-1', :start, :end), "
                "('H1', '陈局长', 'D', 'head', NULL, NULL, NULL)"
            ),
            {"start": date(2024, 1, 1), "end": date(2026, 3, 2)},
        )
    for _ in range(2):  # upgrade, then downgrade and upgrade again
        migrate.upgrade(store)
        with store.read() as session:
            rows = [
                (v.officer_id, v.roles, v.certificate_no, v.certificate_valid_to, v.valid_from)
                for v in session.execute(sa.select(OfficerVersion).order_by(OfficerVersion.id))
                .scalars()
                .all()
            ]
            history = directory.officer_history(session, "C1")
        assert rows == [
            ("C1", "inspector", "ZF-1", date(2026, 3, 2), HISTORY_START),
            ("H1", "head", None, None, HISTORY_START),
        ]
        assert history.versions[0].recorded_by == directory.BEFORE_HISTORY
        assert history.as_of(datetime(1990, 1, 1)).certificate_no == "ZF-1"
        migrate.downgrade(store, "0001")
        assert "officer_versions" not in sa.inspect(store.engine).get_table_names()
        with store.read() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Officer)) == 2
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
