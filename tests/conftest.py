"""Shared fixtures: migrated SQLite files and PostgreSQL databases, a fixed clock, reference data.

PostgreSQL tests use the server at ``ZHIFA_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``). Each test gets its own database cloned from a
migrated template. Without a server the tests are skipped with the reason shown, except when
``CI`` is set: there an unreachable server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from zhifa.store import Store, migrate
from zhifa.timekeeping import FixedClock

PG_ADMIN_URL = os.environ.get(
    "ZHIFA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
).replace("postgresql://", "postgresql+psycopg://")


def _pg_admin() -> sa.Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(dbname: str) -> str:
    """A test database's URL; its sessions skip waiting for the disk flush on commit (tests need
    no durability, and the server's own settings stay untouched)."""
    url = sa.make_url(PG_ADMIN_URL).set(database=dbname)
    url = url.update_query_dict({"options": "-c synchronous_commit=off"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(autouse=True)
def publicity_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the publicity sink writes in this test (never the directory the tests run in)."""
    folder = tmp_path / "publicity"
    monkeypatch.setenv("ZHIFA_PUBLICITY_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the evidence store keeps files in this test (never the directory the tests run in)."""
    folder = tmp_path / "evidence"
    monkeypatch.setenv("ZHIFA_EVIDENCE", str(folder))
    return folder


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated PostgreSQL template database, made once per test run."""
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc.orig).strip()[:200]}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI requires PostgreSQL)")
        pytest.skip(reason)
    name = f"zhifa_tpl_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store = Store(_pg_url(name))
    migrate.upgrade(store)
    store.dispose()
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    name = f"zhifa_t_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def empty_pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database with no schema."""
    name = f"zhifa_e_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    store = Store(f"sqlite:///{path}")
    migrate.upgrade(store)
    store.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for one test."""
    target = tmp_path / "zhifa.db"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{target}"


@pytest.fixture
def db(sqlite_url: str) -> str:
    """The URL of a SQLite file holding the seeded bureau, for CLI tests."""
    store = Store(sqlite_url)
    seed_bureau(store)
    store.dispose()
    return sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database, once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    yield s
    s.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2 March 2026, 09:00 Beijing time."""
    return FixedClock(datetime(2026, 3, 2, 9, 0))


TODAY = date(2026, 3, 2)


# -- a seeded bureau -----------------------------------------------------------------------------

DEPT = "HZXH"
OTHER_DEPT = "HZSC"
CERT_FROM, CERT_TO = date(2024, 1, 1), date(2027, 12, 31)

OFFICERS: dict[str, tuple[str, str, str, date | None, date | None]] = {
    # id: (name, department, roles, certificate valid from, to)
    "H1": ("陈局长", DEPT, "head", CERT_FROM, CERT_TO),
    "C1": ("李明", DEPT, "case_handler,inspector", CERT_FROM, CERT_TO),
    "C2": ("王芳", DEPT, "case_handler,inspector", CERT_FROM, CERT_TO),
    "C3": ("赵强", DEPT, "case_handler", CERT_FROM, date(2026, 3, 2)),  # last valid day: 2 March
    "C4": ("孙丽", DEPT, "case_handler", None, None),  # no certificate
    "L1": ("周法制", DEPT, "legal_reviewer", CERT_FROM, CERT_TO),
    "X1": ("外局长", OTHER_DEPT, "head", CERT_FROM, CERT_TO),
}
ENTITY = "91110000600037341L"


def seed_bureau(store: Store) -> None:
    from zhifa.store.tables import Department, Entity, Officer

    with store.write() as session:
        session.add(Department(code=DEPT, name="西湖区市场监管局", region_code="330106"))
        session.add(Department(code=OTHER_DEPT, name="上城区市场监管局", region_code="330102"))
        session.flush()
        for oid, (name, dept, roles, start, end) in OFFICERS.items():
            session.add(
                Officer(
                    id=oid,
                    name=name,
                    department_code=dept,
                    roles=roles,
                    certificate_no=f"ZF-{oid}" if start else None,
                    certificate_valid_from=start,
                    certificate_valid_to=end,
                )
            )
        session.add(
            Entity(
                uscc=ENTITY,
                name="某食品有限公司",
                kind="企业",
                region_code="330106",
                industry="食品销售",
                credit_class="B",
                risk_level="medium",
            )
        )


@pytest.fixture
def bureau(db_url: str) -> Iterator[Store]:
    """A migrated database (SQLite, then PostgreSQL) with the bureau's officers and one entity."""
    s = Store(db_url)
    seed_bureau(s)
    yield s
    s.dispose()


@pytest.fixture
def sqlite_bureau(sqlite_url: str) -> Iterator[Store]:
    s = Store(sqlite_url)
    seed_bureau(s)
    yield s
    s.dispose()
