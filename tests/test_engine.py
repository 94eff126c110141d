"""Engine.advance: one transaction, every check, nothing written on refusal; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import pluggy
import pytest
import sqlalchemy as sa

from tests.helpers import RECEIVED, counts, make_engine, open_clue
from tests.plugins.department import DepartmentPlugin
from tests.plugins.holidays import LocalHoliday
from tests.plugins.sinks import RecordingSink, SinkPlugin
from tests.plugins.steps import NotingPlugin, Veto
from zhifa.errors import (
    AuthError,
    ConflictError,
    FieldError,
    GuardRefused,
    InputError,
    NotFoundError,
    PermissionRefused,
    PluginConflict,
    PluginError,
    RefusedError,
)
from zhifa.hooks.types import EventRecord, StepContext
from zhifa.store import Store
from zhifa.store.tables import Department, OutboxMessage
from zhifa.workflow.machine import compile_definition

hookimpl = pluggy.HookimplMarker("zhifa")


def test_open_and_advance_record_hashed_events(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    m = open_clue(engine)
    assert (m.state, m.version) == ("received", 1)
    clock.advance(hours=2)
    r = engine.advance(m, "assign", "H1", {"verifiers": ["C1", "C2"]})
    assert (r.matter.state, r.matter.version) == ("verifying", 2)
    history = engine.history(m.id)
    assert [(e.seq, e.trigger, e.from_state, e.to_state) for e in history] == [
        (1, "open", None, "received"),
        (2, "assign", "received", "verifying"),
    ]
    assert history[1].prev_hash == history[0].hash == r.event.prev_hash
    assert r.matter.head_hash == history[1].hash
    assert history[1].data == {"verifiers": ["C1", "C2"]}
    assert history[0].data["_matter"]["workflow_version"] == 4
    assert r.matter.data["assign"] == {"verifiers": ["C1", "C2"]}


@pytest.mark.parametrize(
    ("actor", "fragment"),
    [
        ("C1", "this step needs head"),  # wrong role
        ("X1", "belongs to HZSC, the matter to HZXH"),  # other department
    ],
)
def test_permission_refused_writes_nothing(bureau: Store, actor: str, fragment: str) -> None:
    engine, _ = make_engine(bureau)
    m = open_clue(engine)
    before = counts(bureau)
    with pytest.raises(PermissionRefused) as err:
        engine.advance(m, "assign", actor, {"verifiers": ["C1"]})
    assert any(fragment in r for r in err.value.reasons)
    assert counts(bureau) == before
    assert engine.load(m.id).version == 1


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(datetime(2026, 3, 2, 17, 0), True), (datetime(2026, 3, 3, 9, 0), False)],
    ids=["last-valid-day", "day-after-expiry"],
)
def test_actor_certificate_at_its_last_valid_day(
    bureau: Store, day: datetime, allowed: bool
) -> None:
    engine, clock = make_engine(bureau)
    m = engine.advance(open_clue(engine), "assign", "H1", {"verifiers": ["C1"]}).matter
    clock.set(day)
    step = {"kind": "testing", "body": "检验院"}
    if allowed:
        assert engine.advance(m, "start_testing", "C3", step, day).matter.state == "testing"
    else:
        with pytest.raises(PermissionRefused) as err:
            engine.advance(m, "start_testing", "C3", step, day)
        assert "expired on 2026-03-02" in err.value.reasons[0]
        assert "第四十二条" in err.value.reasons[0]


def test_field_errors_are_reported_together(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    m = engine.advance(open_clue(engine), "assign", "H1", {"verifiers": ["C1"]}).matter
    before = counts(bureau)
    with pytest.raises(FieldError) as err:
        engine.advance(
            m, "open_case", "H1", {"act_date": "yesterday", "handlers": ["C1"], "colour": "red"}
        )
    assert set(err.value.problems) == {"act_date", "handlers", "colour", "violation"}
    assert "at least 2" in err.value.problems["handlers"]
    assert counts(bureau) == before


def test_all_failing_guards_are_reported_together(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    m = engine.advance(open_clue(engine), "assign", "H1", {"verifiers": ["C1"]}).matter
    clock.set(datetime(2026, 3, 5, 9))
    with pytest.raises(GuardRefused) as err:
        engine.advance(
            m,
            "open_case",
            "H1",
            {"act_date": "2023-01-01", "handlers": ["C1", "C4"], "violation": "x"},
        )
    reasons = err.value.reasons
    assert len(reasons) == 2
    assert "第三十六条" in reasons[0]
    assert "C4" in reasons[1] and "no enforcement certificate" in reasons[1]


def test_trigger_not_possible_from_state_is_refused(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    m = open_clue(engine)
    with pytest.raises(
        RefusedError, match=r"cannot be taken from there .possible now: assign, hand_over"
    ):
        engine.advance(m, "extend", "H1", {"reason": "x"})


def test_unknown_trigger_matter_and_officer_are_input_errors(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    m = open_clue(engine)
    with pytest.raises(InputError, match="has no trigger 'approve'"):
        engine.advance(m, "approve", "H1")
    with pytest.raises(NotFoundError, match="matter 999 does not exist"):
        engine.advance(999, "assign", "H1")
    if bureau.dialect == "sqlite":  # no authentication: the id must name an officer
        with pytest.raises(NotFoundError, match="officer 'nobody' does not exist"):
            engine.advance(m, "assign", "nobody", {"verifiers": ["C1"]})
    else:  # PostgreSQL: an id the engine holds no session for acts for nobody
        with pytest.raises(AuthError, match="not as nobody"):
            engine.advance(m, "assign", "nobody", {"verifiers": ["C1"]})
    with pytest.raises(InputError, match="'ghost' named in the step does not exist"):
        engine.advance(m, "assign", "H1", {"verifiers": ["ghost"]})


def test_step_time_must_not_be_future_nor_before_last_step(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    m = open_clue(engine)
    clock.set(datetime(2026, 2, 11, 9))
    with pytest.raises(InputError, match="in the future"):
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]}, datetime(2026, 2, 11, 9, 6))
    with pytest.raises(InputError, match="before the matter's last recorded step"):
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]}, datetime(2026, 2, 10, 8, 59))
    # the same minute as the last step, and the tolerance edge, are accepted
    assert engine.advance(
        m, "assign", "H1", {"verifiers": ["C1"]}, datetime(2026, 2, 11, 9, 5)
    ).matter


def test_stale_view_is_a_conflict_and_writes_nothing(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    m = open_clue(engine)
    engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    before = counts(bureau)
    with pytest.raises(ConflictError, match="reload it"):
        engine.advance(m, "hand_over", "H1", {"to_department": "x", "reason": "y"})
    assert counts(bureau) == before


def test_one_shared_machine_per_definition_version(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    for _ in range(5):
        m = open_clue(engine)
        clock.advance(minutes=1)
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    compiled = compile_definition(engine.definition("clue"))
    assert compiled is compile_definition(engine.definition("clue"))
    assert compiled.machine.models == []  # no matter is ever registered on it


class RaisingPlugin:
    __name__ = "bad-plugin"

    @hookimpl
    def zhifa_before_transition(self, ctx: StepContext) -> Iterable[str] | None:
        if ctx.step.name == "assign":
            raise RuntimeError("lookup service down")
        return None


class AfterPlugin:
    __name__ = "after-plugin"

    @hookimpl
    def zhifa_after_transition(self, ctx: StepContext, event: EventRecord) -> None:
        if event.trigger == "assign":
            raise ValueError("cannot archive")


@pytest.mark.parametrize("plugin", [RaisingPlugin(), AfterPlugin()], ids=["before", "after"])
def test_plugin_that_raises_is_named_and_leaves_the_matter_untouched(
    bureau: Store, plugin: object
) -> None:
    engine, _ = make_engine(bureau, plugin)
    m = open_clue(engine)
    before = counts(bureau)
    with pytest.raises(PluginError) as err:
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    assert err.value.plugin == plugin.__name__  # type: ignore[attr-defined]
    assert plugin.__name__ in err.value.message  # type: ignore[attr-defined]
    assert counts(bureau) == before
    assert engine.load(m.id).state == "received"


def test_rows_a_plugin_adds_through_the_session_commit_with_the_step(bureau: Store) -> None:
    engine, _ = make_engine(bureau, NotingPlugin())
    m = open_clue(engine)
    engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    with bureau.read() as s:
        assert set(s.scalars(sa.select(Department.code).where(Department.code.like("N%")))) == {
            "N1",
            "N2",
        }


def test_rows_a_plugin_adds_roll_back_with_a_failed_step(bureau: Store) -> None:
    engine, _ = make_engine(bureau, NotingPlugin(fail_on="assign"))
    m = open_clue(engine)
    with pytest.raises(PluginError):
        engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    with bureau.read() as s:
        assert list(s.scalars(sa.select(Department.code).where(Department.code.like("N%")))) == [
            "N1"
        ]
    assert engine.load(m.id).state == "received"


def test_before_transition_reasons_refuse_the_step(bureau: Store) -> None:
    engine, _ = make_engine(bureau, Veto("hand_over", reason="本局规定：移交须经法制科登记"))
    m = open_clue(engine)
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "hand_over", "H1", {"to_department": "x", "reason": "y"})
    assert err.value.reasons == ["本局规定：移交须经法制科登记"]


def test_reporting_sink_gets_committed_steps_once(bureau: Store) -> None:
    sink = RecordingSink()
    engine, _ = make_engine(bureau, SinkPlugin(sink))
    m = open_clue(engine)
    engine.advance(m, "assign", "H1", {"verifiers": ["C1"]})
    assert [d.event["trigger"] for d in sink.received] == ["open", "assign"]
    assert sink.received[1].key == f"{m.id}:2:record-sink"
    assert engine.deliver_outbox().delivered == 0  # nothing is delivered twice


def test_failing_sink_is_retried_with_backoff_and_never_blocks_the_matter(bureau: Store) -> None:
    sink = RecordingSink(fail_times=2, error="publicity platform unreachable")
    engine, clock = make_engine(bureau, SinkPlugin(sink))
    m = open_clue(engine)
    assert engine.load(m.id).state == "received"
    with bureau.read() as s:
        msg = s.scalars(sa.select(OutboxMessage)).one()
        assert (msg.attempts, msg.delivered_at) == (1, None)
        assert "publicity platform unreachable" in (msg.last_error or "")
    assert engine.deliver_outbox().delivered == 0  # not due yet: backoff 30 s
    clock.advance(seconds=30)
    assert engine.deliver_outbox().failed == 1  # second failure, next in 60 s
    clock.advance(seconds=60)
    report = engine.deliver_outbox()
    assert (report.delivered, report.pending) == (1, 0)
    assert [d.attempt for d in sink.received] == [3]


def test_calendar_additions_move_deadlines(bureau: Store) -> None:
    plain, _ = make_engine(bureau)
    local, _ = make_engine(bureau, LocalHoliday())
    assert (
        plain.open("clue", "C1", {"source": "report", "summary": "a"}).clocks[0].due_on.isoformat()
        == "2026-03-09"
    )
    assert (
        local.open("clue", "C1", {"source": "report", "summary": "b"}).clocks[0].due_on.isoformat()
        == "2026-03-10"
    )


def test_changed_definition_without_new_version_is_refused(bureau: Store, tmp_path: Any) -> None:
    engine, _ = make_engine(bureau)
    open_clue(engine)
    text = engine.definition("clue").source_text.replace("15 working days from receipt", "changed")
    path = tmp_path / "clue.yaml"
    path.write_text(text, "utf-8")

    class Changed:
        __name__ = "changed"

        @hookimpl
        def zhifa_workflows(self) -> list[Any]:
            return [path]

    from zhifa.errors import DefinitionError

    with pytest.raises(DefinitionError, match="defined differently by plugins"):
        make_engine(bureau, Changed())


def test_available_triggers_explain_each_refusal(bureau: Store) -> None:
    engine, _ = make_engine(bureau)
    m = open_clue(engine)
    options = {o.name: o for o in engine.available_triggers(m, "C1")}
    assert not options["assign"].allowed
    assert any("needs head" in r for r in options["assign"].reasons)
    assert any("not possible in state received" in r for r in options["extend"].reasons)
    head = {o.name: o for o in engine.available_triggers(m, "H1")}
    assert head["assign"].allowed and head["hand_over"].allowed
    assert head["assign"].waiting_for  # officers_certified runs once verifiers are given
    assert counts(bureau) == (1, 1)  # reading never writes


def test_plugin_guards_serve_plugin_workflows(bureau: Store, tmp_path: Any) -> None:
    engine, _ = make_engine(bureau, DepartmentPlugin(tmp_path))
    names = [d.name for d in engine.workflows()]
    assert "sampling" in names and "clue" in names
    m = engine.open("sampling", "C1").matter
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "send", "C1", {})
    assert err.value.reasons == ["a sample id is needed: 2 copies are kept (食品安全法 第八十七条)"]
    assert engine.advance(m, "send", "C1", {"sample_id": "S-1"}).matter.state == "sent"


def test_definition_requiring_an_unknown_guard_is_refused_at_load(
    bureau: Store, tmp_path: Any
) -> None:
    plugin = DepartmentPlugin(tmp_path)
    plugin.zhifa_guards = lambda: []  # type: ignore[method-assign]
    from zhifa.errors import DefinitionError

    with pytest.raises(
        DefinitionError,
        match=r"sampling.yaml at triggers.send.guards: guard 'sample_kept' is not provided",
    ):
        make_engine(bureau, plugin)


def test_two_plugins_registering_one_guard_name_are_both_named(
    bureau: Store, tmp_path: Any
) -> None:
    first, second = DepartmentPlugin(tmp_path), DepartmentPlugin(tmp_path)
    second.__name__ = "zhifa-other"  # type: ignore[misc]
    with pytest.raises(PluginConflict) as err:
        make_engine(bureau, first, second)
    assert "'zhifa-market-test'" in err.value.message and "'zhifa-other'" in err.value.message
    assert "guard 'sample_kept'" in err.value.message


def test_a_refused_first_opening_does_not_leave_the_workflow_half_registered(
    bureau: Store,
) -> None:
    engine, _ = make_engine(bureau)
    with pytest.raises(FieldError):
        engine.open("clue", "C1", {"source": "complaint"})  # the summary is missing
    assert counts(bureau) == (0, 0)
    m = open_clue(engine)  # the same engine registers the version again, in this step
    assert (m.state, m.version) == ("received", 1)


def test_an_engine_rereads_the_history_when_another_engine_moved_the_matter(
    bureau: Store,
) -> None:
    first, clock = make_engine(bureau)
    second, other_clock = make_engine(bureau)
    m = open_clue(first)  # `first` now keeps this matter's steps, for version 1
    clock.advance(hours=1)
    other_clock.advance(hours=1)
    second.advance(m.id, "assign", "H1", {"verifiers": ["C1"]})
    clock.advance(days=1)
    testing = {"kind": "testing", "body": "省质检院"}
    # `first` sees version 2 in the row, not the version it kept: it reads the history again,
    # so it knows of the assignment an hour after the opening and keeps the time order
    with pytest.raises(InputError, match="before the matter's last recorded step"):
        first.advance(m.id, "start_testing", "C1", testing, at=RECEIVED + timedelta(minutes=30))
    after = first.advance(m.id, "start_testing", "C1", testing)
    assert (after.matter.state, after.matter.version) == ("testing", 3)
    assert [e.trigger for e in first.history(m.id)] == ["open", "assign", "start_testing"]
