"""Guards read, effects write: from the attacker's side.

A guard (or ``zhifa_before_transition``) that writes — through ``ctx.connection``, ``ctx.session``,
the driver's own cursor, a connection of its own, or catching the refusal — is refused as
:class:`PluginWriteRefused` naming the plugin and the guard, and the step writes nothing. What a
plugin wants the step to change it declares with ``ctx.effect``, which lands in the hashed event.
Time limits are in ``test_plugin_isolation_limits.py``, broken plugins in
``test_plugin_isolation_broken.py``.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, ENTITY
from tests.helpers import counts, make_engine, run_json
from tests.plugins.hostile import After, Before, GuardedBy
from tests.plugins.sinks import RecordingSink, SinkPlugin
from zhifa.audit.chains import verify
from zhifa.engine import Opening
from zhifa.errors import GuardRefused, PluginError, PluginWriteRefused
from zhifa.hooks.types import EFFECTS_KEY, StepContext, effects_of
from zhifa.plugins.isolation import is_read
from zhifa.store import Store
from zhifa.store.tables import Officer

OFFICERS = cast(sa.Table, Officer.__table__)


def roles_of(store: Store, officer: str) -> str:
    with store.read() as s:
        row = s.get(Officer, officer)
        assert row is not None
        return row.roles


# -- what the attacker tries ------------------------------------------------------------------


def promote(ctx: StepContext) -> None:
    """Give C4, who holds no certificate, the head's roles."""
    ctx.connection.execute(sa.update(OFFICERS).where(OFFICERS.c.id == "C4").values(roles="head"))


def insert_officer(ctx: StepContext) -> None:
    ctx.connection.execute(
        sa.insert(OFFICERS).values(id="EVIL", name="某", department_code=DEPT, roles="head")
    )


def through_the_session(ctx: StepContext) -> None:
    ctx.session.add(Officer(id="EVIL", name="某", department_code=DEPT, roles="head"))


def flush_the_session(ctx: StepContext) -> None:
    through_the_session(ctx)
    ctx.session.flush()


def text_update(ctx: StepContext) -> None:
    ctx.session.execute(sa.text("UPDATE officers SET roles = 'head' WHERE id = 'C4'"))


def driver_cursor(ctx: StepContext) -> None:
    raw = ctx.session.connection().connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    cursor.execute("UPDATE officers SET roles = 'head' WHERE id = 'C4'")


def swallowing(ctx: StepContext) -> None:
    """Write, and hide the refusal: the step is refused all the same."""
    with contextlib.suppress(Exception):
        promote(ctx)


def own_connection(ctx: StepContext) -> None:
    """A connection of its own to the same database, from the guard's thread."""
    url = ctx.session.connection().engine.url
    other = sa.create_engine(url)
    try:
        with other.begin() as conn:
            conn.execute(sa.update(OFFICERS).where(OFFICERS.c.id == "C4").values(roles="head"))
    finally:
        other.dispose()


ATTACKS = [
    promote,
    insert_officer,
    through_the_session,
    flush_the_session,
    text_update,
    driver_cursor,
    swallowing,
    own_connection,
]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda f: f.__name__)
def test_a_guard_that_writes_is_refused_and_nothing_is_written(
    bureau: Store, tmp_path: Path, attack: Any
) -> None:
    engine, _ = make_engine(bureau, GuardedBy(tmp_path, attack))
    m = engine.open("probe", "C1").matter
    before = counts(bureau)
    with pytest.raises(PluginWriteRefused) as err:
        engine.advance(m, "check", "C1")
    assert (err.value.plugin, err.value.hook) == ("hostile", "guard probe_guard")
    assert "plugin 'hostile' tried to write in guard probe_guard" in err.value.message
    assert err.value.exit_code == 1
    assert counts(bureau) == before
    assert roles_of(bureau, "C4") == "case_handler"
    with bureau.read() as s:
        assert s.get(Officer, "EVIL") is None
    assert engine.load(m.id).state == "drafted"
    # the step's connection is usable again: the next step, without the attack, is written
    engine_after, _ = make_engine(bureau, GuardedBy(tmp_path, lambda ctx: None))
    assert engine_after.advance(m.id, "check", "C1").matter.state == "checked"


def test_a_guard_that_turns_sqlites_read_only_mode_off_is_still_caught(
    sqlite_bureau: Store, tmp_path: Path
) -> None:
    def pragma_off(ctx: StepContext) -> None:
        raw = ctx.session.connection().connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA query_only = 0")
        raw.execute("UPDATE officers SET roles = 'head' WHERE id = 'C4'")

    engine, _ = make_engine(sqlite_bureau, GuardedBy(tmp_path, pragma_off))
    m = engine.open("probe", "C1").matter
    with pytest.raises(PluginWriteRefused, match="through the driver's connection"):
        engine.advance(m, "check", "C1")
    assert roles_of(sqlite_bureau, "C4") == "case_handler"


def test_a_guard_reads_what_it_needs(bureau: Store, tmp_path: Path) -> None:
    """Reading through the connection, the session and plain SELECT text is what guards do."""
    seen: list[Any] = []

    def reader(ctx: StepContext) -> None:
        seen.append(ctx.connection.scalar(sa.select(OFFICERS.c.roles).where(OFFICERS.c.id == "C1")))
        seen.append(ctx.session.get(Officer, "H1").roles)  # type: ignore[union-attr]
        seen.append(ctx.session.execute(sa.text("SELECT count(*) FROM officers")).scalar())
        seen.append(ctx.connection.dialect.name in {"sqlite", "postgresql"})

    engine, _ = make_engine(bureau, GuardedBy(tmp_path, reader))
    m = engine.open("probe", "C1").matter
    assert engine.advance(m, "check", "C1").matter.state == "checked"
    assert seen == ["case_handler,inspector", "head", 7, True]


def test_a_before_transition_hook_that_writes_is_refused(bureau: Store) -> None:
    engine, _ = make_engine(bureau, Before(promote, name="promoter"))
    before = counts(bureau)
    with pytest.raises(PluginWriteRefused) as err:
        engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}, entity=ENTITY)
    assert (err.value.plugin, err.value.hook) == ("promoter", "zhifa_before_transition")
    assert counts(bureau) == before and roles_of(bureau, "C4") == "case_handler"


def test_the_after_transition_hook_still_writes_with_the_step(bureau: Store) -> None:
    """The one hook documented to write keeps its transaction (it runs after the event)."""
    engine, _ = make_engine(bureau, After(promote))
    engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}, entity=ENTITY)
    assert roles_of(bureau, "C4") == "head"


def test_the_statement_check_lets_reads_through_and_nothing_else() -> None:
    reads = [
        "SELECT roles FROM officers WHERE id = ?",
        "  (SELECT 1) UNION (SELECT 2)",
        "WITH x AS (SELECT 1) SELECT * FROM x",
        "SELECT name FROM t WHERE note = 'please DELETE me'",  # words in quotes do not count
        'SELECT "update" FROM t',
        "BEGIN",
    ]
    writes = [
        "UPDATE officers SET roles = 'head'",
        "INSERT INTO officers VALUES (1)",
        "WITH x AS (DELETE FROM events RETURNING *) SELECT * FROM x",
        "SELECT * FROM matters FOR UPDATE",
        "SELECT * FROM matters FOR SHARE",
        "SELECT * INTO copy FROM officers",
        "SELECT set_config('session_replication_role', 'replica', false)",
        "SELECT nextval('matters_id_seq')",
        "PRAGMA query_only = 0",
        "DROP TRIGGER events_no_update",
        "BEGIN IMMEDIATE",
        "COMMIT",
        "ROLLBACK",
        "EXPLAIN ANALYZE DELETE FROM events",
    ]
    assert [s for s in reads if not is_read(s)] == []
    assert [s for s in writes if is_read(s)] == []


# -- effects ----------------------------------------------------------------------------------


def test_declared_effects_land_in_the_hashed_event_and_its_history(
    bureau: Store, tmp_path: Path
) -> None:
    def register(ctx: StepContext) -> None:
        ctx.effect("sample_registered", {"sample": "S-1", "copies": 2})

    engine, _ = make_engine(
        bureau,
        GuardedBy(tmp_path, register, name="lab"),
        Before(lambda ctx: ctx.effect("notice.logged") if ctx.step.name == "check" else None),
    )
    m = engine.open("probe", "C1").matter
    step = engine.advance(m, "check", "C1")
    recorded = [
        {"plugin": "lab", "kind": "sample_registered", "payload": {"sample": "S-1", "copies": 2}},
        {"plugin": "before", "kind": "notice.logged", "payload": {}},
    ]
    assert step.event.data[EFFECTS_KEY] == recorded
    (_, checked) = engine.history(m.id)
    assert checked.data[EFFECTS_KEY] == recorded
    assert [e.kind for e in effects_of(checked, "lab")] == ["sample_registered"]
    assert EFFECTS_KEY not in engine.load(m.id).data["check"]  # in the event, not the matter
    assert verify(bureau).intact  # the effects are part of the hashed data


def test_a_reporting_sink_receives_the_effects_to_apply_them(bureau: Store) -> None:
    """The engine runs no effect: the plugin's sink acts on it after the commit."""
    sink = RecordingSink()
    declare = Before(lambda ctx: ctx.effect("card_printed", {"n": 1}), name="county")
    engine, _ = make_engine(bureau, declare, SinkPlugin(sink))
    engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}, entity=ENTITY)
    (message,) = sink.received
    assert [e.as_dict() for e in effects_of(message.event, "county")] == [
        {"plugin": "county", "kind": "card_printed", "payload": {"n": 1}}
    ]


def test_effects_of_a_refused_step_are_not_recorded(bureau: Store, tmp_path: Path) -> None:
    def declare_then_refuse(ctx: StepContext) -> str:
        ctx.effect("sample_registered", {"sample": "S-1"})
        return "no sample kept"

    engine, _ = make_engine(bureau, GuardedBy(tmp_path, declare_then_refuse))
    m = engine.open("probe", "C1").matter
    before = counts(bureau)
    with pytest.raises(GuardRefused):
        engine.advance(m, "check", "C1")
    assert counts(bureau) == before


def test_an_opening_records_its_effects_one_at_a_time_and_in_bulk(bureau: Store) -> None:
    engine, _ = make_engine(bureau, Before(lambda ctx: ctx.effect("card_printed", {"n": 1})))
    one = engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}, entity=ENTITY)
    assert effects_of(one.event)[0].as_dict() == {
        "plugin": "before",
        "kind": "card_printed",
        "payload": {"n": 1},
    }
    ids = engine.open_many(
        "clue",
        [Opening("C1", {"source": "complaint", "summary": f"过期食品{n}"}) for n in range(3)],
    )
    assert all([e.kind for e in effects_of(engine.history(i)[0])] == ["card_printed"] for i in ids)
    assert verify(bureau).intact


@pytest.mark.parametrize(
    ("act", "fault"),
    [
        (lambda ctx: ctx.effect("Bad Kind"), "must be lower-case letters"),
        (lambda ctx: ctx.effect("ok", ["not", "a", "mapping"]), "must be a mapping"),
        (lambda ctx: ctx.effect("ok", {"when": object()}), "ctx.effect"),
        (lambda ctx: ctx.effect("big", {"text": "x" * 70000}), "at most 65536"),
        (
            lambda ctx: ctx.derived.update({EFFECTS_KEY: [{"plugin": "zhifa.baseline"}]}),
            "'_effects' is the engine's",
        ),
    ],
    ids=["kind", "payload", "not json", "too big", "forged"],
)
def test_a_malformed_or_forged_effect_is_the_plugins_error(
    bureau: Store, tmp_path: Path, act: Any, fault: str
) -> None:
    engine, _ = make_engine(bureau, GuardedBy(tmp_path, act))
    m = engine.open("probe", "C1").matter
    before = counts(bureau)
    with pytest.raises(PluginError, match=fault) as err:
        engine.advance(m, "check", "C1")
    assert err.value.plugin == "hostile"
    assert counts(bureau) == before


def test_an_effect_after_the_event_is_refused(bureau: Store) -> None:
    engine, _ = make_engine(bureau, After(lambda ctx: ctx.effect("late")))
    before = counts(bureau)
    with pytest.raises(PluginError, match="declared by guards and zhifa_before_transition"):
        engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}, entity=ENTITY)
    assert counts(bureau) == before


def test_effects_show_in_the_history_on_the_command_line(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(db)
    try:
        engine, _ = make_engine(store, Before(lambda ctx: ctx.effect("card_printed", {"n": 1})))
        m = engine.open("clue", "C1", {"source": "complaint", "summary": "过期食品"}).matter
    finally:
        store.dispose()
    monkeypatch.setenv("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", "1")
    shown = run_json(capsys, "matter", "show", str(m.id), "--db", db)
    text = json.dumps(shown, ensure_ascii=False)
    assert '"_effects": [{"kind": "card_printed", "payload": {"n": 1}, "plugin": "before"}]' in text
