"""The record is append-only in the database, and `audit verify` finds any rewrite."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from tests.helpers import drop_record_triggers, make_engine, open_clue
from zhifa.audit import verify
from zhifa.store import Store


def walk(store: Store) -> int:
    engine, clock = make_engine(store)
    m = open_clue(engine)
    clock.advance(hours=1)
    m = engine.advance(m, "assign", "H1", {"verifiers": ["C1"]}).matter
    clock.advance(hours=1)
    engine.advance(m, "start_testing", "C1", {"kind": "testing", "body": "检验院"})
    other = open_clue(engine)
    engine.advance(other, "hand_over", "H1", {"to_department": "x", "reason": "y"})
    return m.id


@pytest.mark.parametrize("statement", ["UPDATE events SET actor_id = 'C2'", "DELETE FROM events"])
def test_database_refuses_update_and_delete_of_events(bureau: Store, statement: str) -> None:
    walk(bureau)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), bureau.engine.begin() as conn:
        conn.exec_driver_sql(statement)


def test_database_refuses_truncate_of_events_on_postgresql(pg_url: str) -> None:
    store = Store(pg_url)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
        conn.exec_driver_sql("TRUNCATE events CASCADE")
    store.dispose()


def test_intact_record_verifies(bureau: Store) -> None:
    walk(bureau)
    report = verify(bureau)
    assert report.intact and (report.matters, report.events) == (2, 5)


@pytest.mark.parametrize(
    ("tamper", "seq", "fragment"),
    [
        (
            'UPDATE events SET data = \'{"verifiers":["C2"]}\' WHERE matter_id = :m AND seq = 2',
            2,
            "altered",
        ),
        (
            "UPDATE events SET occurred_at = occurred_at WHERE matter_id = :m AND seq = 2",
            None,
            None,
        ),
        (
            "UPDATE events SET to_state = 'verifying_extended' WHERE matter_id = :m AND seq = 2",
            2,
            "altered",
        ),
        ("DELETE FROM events WHERE matter_id = :m AND seq = 3", 3, "event 3 is missing"),
        ("DELETE FROM events WHERE matter_id = :m AND seq = 2", 2, "missing"),
        (
            "UPDATE matters SET state = 'case_opened' WHERE id = :m",
            3,
            "last event ended in 'testing'",
        ),
    ],
    ids=["data", "no-op-update", "state", "last-event-deleted", "middle-deleted", "matter-state"],
)
def test_audit_names_the_first_broken_event(
    bureau: Store, tamper: str, seq: int | None, fragment: str | None
) -> None:
    matter_id = walk(bureau)
    with bureau.engine.begin() as conn:
        drop_record_triggers(bureau, conn)
        conn.execute(sa.text(tamper), {"m": matter_id})
    report = verify(bureau)
    if fragment is None:  # rewriting a value with itself changes nothing
        assert report.intact
        return
    assert [(b.matter_id, b.seq) for b in report.breaks] == [(matter_id, seq)]
    assert fragment in report.breaks[0].reason


def test_recording_time_and_act_time_are_both_hashed(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    m = open_clue(engine)
    clock.set(datetime(2026, 2, 12, 9))
    r = engine.advance(m, "assign", "H1", {"verifiers": ["C1"]}, datetime(2026, 2, 11, 16))
    assert r.event.occurred_at == datetime(2026, 2, 11, 16)
    assert r.event.recorded_at == datetime(2026, 2, 12, 9)
    with bureau.engine.begin() as conn:
        drop_record_triggers(bureau, conn)
        conn.execute(sa.text("UPDATE events SET recorded_at = occurred_at WHERE seq = 2"))
    assert not verify(bureau).intact
