"""A matter row follows its events (migration 0006): its state, version and head hash change only
with the event that records the step, and never move back; on PostgreSQL an application role
without DDL rights cannot take the triggers away."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import seed_bureau
from tests.helpers import make_engine, open_clue
from zhifa.engine import Engine
from zhifa.store import Store, migrate

REFUSED = "change only with the event that records the step"
APPEND_ONLY = "events are append-only"


def _row(store: Store, matter_id: int) -> tuple[str, int, str]:
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT state, version, head_hash FROM matters WHERE id = :m"), {"m": matter_id}
        ).one()
    return (row.state, row.version, row.head_hash)


def _events(store: Store, matter_id: int) -> list[tuple[int, str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT seq, to_state, hash FROM events WHERE matter_id = :m ORDER BY seq"),
            {"m": matter_id},
        ).all()
    return [(r.seq, r.to_state, r.hash) for r in rows]


def _update(store: Store, sql: str, **params: Any) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _two_steps(engine: Engine) -> int:
    """A clue opened (event 1, received) and assigned (event 2, verifying)."""
    m = open_clue(engine)
    return int(engine.advance(m, "assign", "H1", {"verifiers": ["C1"]}).matter.id)


@pytest.fixture
def walked(bureau: Store) -> Iterator[tuple[Store, int]]:
    engine, _ = make_engine(bureau)
    yield bureau, _two_steps(engine)


def test_changing_the_state_alone_is_refused(walked: tuple[Store, int]) -> None:
    store, m = walked
    before = _row(store, m)
    assert before[:2] == ("verifying", 2)
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        _update(store, "UPDATE matters SET state = 'case_opened' WHERE id = :m", m=m)
    assert _row(store, m) == before


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE matters SET version = 3, head_hash = :h WHERE id = :m",
        "UPDATE matters SET head_hash = :h WHERE id = :m",
        "UPDATE matters SET version = 3 WHERE id = :m",
        "UPDATE matters SET version = 3, head_hash = :h, state = 'verifying' WHERE id = :m",
    ],
    ids=["version-and-hash", "hash", "version", "all-three"],
)
def test_version_or_head_hash_no_event_has_is_refused(walked: tuple[Store, int], sql: str) -> None:
    store, m = walked
    before = _row(store, m)
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        _update(store, sql, m=m, h="f" * 64)
    assert _row(store, m) == before


def test_rolling_the_row_back_to_its_previous_event_is_refused(
    walked: tuple[Store, int],
) -> None:
    """Event 1 exists with exactly these values, but the row would move backwards."""
    store, m = walked
    before = _row(store, m)
    (seq, to_state, digest), _second = _events(store, m)
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        _update(
            store,
            "UPDATE matters SET state = :s, version = :v, head_hash = :h WHERE id = :m",
            m=m,
            s=to_state,
            v=seq,
            h=digest,
        )
    assert _row(store, m) == before


def test_another_matters_event_does_not_count(bureau: Store) -> None:
    """An event of another matter at the next seq with those values does not let the row move."""
    engine, _ = make_engine(bureau)
    one_step = int(open_clue(engine).id)
    two_steps = _two_steps(engine)
    seq, to_state, digest = _events(bureau, two_steps)[1]
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        _update(
            bureau,
            "UPDATE matters SET state = :s, version = :v, head_hash = :h WHERE id = :m",
            m=one_step,
            s=to_state,
            v=seq,
            h=digest,
        )


def test_other_columns_and_unchanged_values_are_not_checked(walked: tuple[Store, int]) -> None:
    store, m = walked
    before = _row(store, m)
    _update(store, "UPDATE matters SET title = 'renamed' WHERE id = :m", m=m)
    _update(
        store,
        "UPDATE matters SET state = state, version = version, head_hash = head_hash WHERE id = :m",
        m=m,
    )
    assert _row(store, m) == before


def test_the_engines_steps_move_the_row_with_their_events(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    m = open_clue(engine)
    assert _row(bureau, m.id) == ("received", 1, _events(bureau, m.id)[0][2])
    clock.advance(hours=1)
    r = engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    clock.advance(hours=1)
    r = engine.advance(r.matter, "start_testing", "C1", {"kind": "testing", "body": "检验院"})
    seq, to_state, digest = _events(bureau, m.id)[-1]
    assert _row(bureau, m.id) == (to_state, seq, digest) == ("testing", 3, r.event.hash)


def test_downgrade_removes_the_trigger_and_upgrade_restores_it(
    walked: tuple[Store, int],
) -> None:
    store, m = walked
    assert migrate.current_revision(store) == migrate.head_revision(store) == "0011"
    migrate.downgrade(store, "0005")
    _update(store, "UPDATE matters SET state = 'case_opened' WHERE id = :m", m=m)
    assert _row(store, m)[0] == "case_opened"
    _update(store, "UPDATE matters SET state = 'verifying' WHERE id = :m", m=m)
    migrate.upgrade(store)
    with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
        _update(store, "UPDATE matters SET state = 'case_opened' WHERE id = :m", m=m)


# -- PostgreSQL: an application role without DDL rights ------------------------------------------


def _app_role_grants(role: str, database: str) -> list[str]:
    """The grants of docs/postgresql-roles.md for the application role."""
    return [
        f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
    ]


@pytest.fixture
def app_store(pg_url: str) -> Iterator[Store]:
    """A store connected as a fresh LOGIN role holding only the application grants (the tables
    belong to the role that migrated the database); the role is dropped afterwards."""
    role = f"zhifa_app_{uuid.uuid4().hex[:10]}"
    password = uuid.uuid4().hex
    owner = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    database = sa.make_url(pg_url).database or ""
    with owner.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        for grant in _app_role_grants(role, database):
            conn.exec_driver_sql(grant)
    url = sa.make_url(pg_url).set(username=role, password=password)
    store = Store(url.render_as_string(hide_password=False))
    try:
        yield store
    finally:
        store.dispose()
        with owner.connect() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')  # its grants, here and on the db
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        owner.dispose()


def _sqlstate(exc: sa.exc.DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "ddl",
    [
        "DROP TRIGGER events_append_only ON events",
        "DROP TRIGGER events_no_truncate ON events",
        "DROP TRIGGER matters_follow_events ON matters",
        "DROP FUNCTION zhifa_matters_follow_events()",
        "ALTER TABLE events DISABLE TRIGGER ALL",
        "ALTER TABLE matters DISABLE TRIGGER matters_follow_events",
        "SET session_replication_role = replica",
        "TRUNCATE events",
    ],
)
def test_application_role_cannot_take_the_guards_away(app_store: Store, ddl: str) -> None:
    with pytest.raises(sa.exc.DBAPIError) as refused, app_store.engine.begin() as conn:
        conn.exec_driver_sql(ddl)
    assert _sqlstate(refused.value) == "42501"  # insufficient_privilege


@pytest.mark.postgres
def test_application_role_steps_through_the_engine_but_cannot_rewrite(app_store: Store) -> None:
    seed_bureau(app_store)  # the application role writes the reference rows too
    engine, clock = make_engine(app_store)
    m = open_clue(engine)
    clock.advance(hours=1)
    r = engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    assert _row(app_store, m.id) == ("verifying", 2, r.event.hash)
    for sql in (
        "UPDATE events SET data = '{}' WHERE matter_id = :m AND seq = 2",
        "DELETE FROM events WHERE matter_id = :m AND seq = 2",
    ):
        with pytest.raises(sa.exc.DBAPIError, match=APPEND_ONLY):
            _update(app_store, sql, m=m.id)
    (seq, to_state, digest), _second = _events(app_store, m.id)
    for sql, params in (
        ("UPDATE matters SET state = 'case_opened' WHERE id = :m", {}),
        (
            "UPDATE matters SET state = :s, version = :v, head_hash = :h WHERE id = :m",
            {"s": to_state, "v": seq, "h": digest},
        ),
    ):
        with pytest.raises(sa.exc.DBAPIError, match=REFUSED):
            _update(app_store, sql, m=m.id, **params)
    assert _row(app_store, m.id) == ("verifying", 2, r.event.hash)
    assert [e[0] for e in _events(app_store, m.id)] == [1, 2]
