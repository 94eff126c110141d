"""Linked matters (a clue opens a case, a case spawns a transfer…) and what is due when."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEPT, OTHER_DEPT
from tests.helpers import counts, make_engine, open_clue, run, run_json
from tests.plugins.department import SAMPLING_WORKFLOW, DepartmentPlugin
from zhifa.audit import verify
from zhifa.errors import DefinitionError, InputError, NotFoundError, RefusedError
from zhifa.store import Store
from zhifa.store.tables import Entity

OTHER_ENTITY = "91350100M000100Y43"
CLUE = {"source": "inspection", "summary": "检查发现标签不合格"}


def add_other_entity(store: Store) -> None:
    with store.write() as session:
        session.add(
            Entity(
                uscc=OTHER_ENTITY,
                name="另一家公司",
                kind="企业",
                region_code="330106",
                industry="餐饮",
                credit_class="A",
                risk_level="low",
            )
        )


def test_a_follow_up_matter_is_linked_and_inherits_entity_and_department(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    first = open_clue(engine)
    clock.advance(days=1)
    second = engine.open("clue", "C2", CLUE, follows=first).matter
    clock.advance(days=1)
    third = engine.open("clue", "C1", CLUE, follows=second.id).matter
    sibling = engine.open("clue", "C1", CLUE, follows=first.id).matter
    assert (second.entity_id, second.department) == (first.entity_id, DEPT)
    before, after = engine.links(second.id)
    assert ([m.id for m in before], [m.id for m in after]) == ([first.id], [third.id])
    # the story is the same whichever matter it is read from
    expected = [(0, first.id), (1, second.id), (2, third.id), (1, sibling.id)]
    for m in (first, second, third, sibling):
        assert [(d, v.id) for d, v in engine.story(m.id)] == expected
    # the link is in the opening event's hashed data
    opening = engine.history(second.id)[0]
    assert opening.data["_matter"]["follows"] == {"matter": first.id, "workflow": "clue"}
    assert verify(bureau).intact


@pytest.mark.parametrize(
    ("follows", "kwargs", "error", "message"),
    [
        (999, {}, NotFoundError, "matter 999 does not exist, so nothing can follow it"),
        ("other_dept", {}, InputError, "belongs to HZSC, not HZXH"),
        ("mine", {"entity": OTHER_ENTITY}, InputError, "concerns another market entity"),
        ("mine", {"at": datetime(2026, 2, 9, 9)}, InputError, "before matter"),
    ],
)
def test_a_follow_up_that_does_not_fit_is_refused_and_nothing_is_written(
    bureau: Store, follows: Any, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    add_other_entity(bureau)
    engine, _ = make_engine(bureau)
    mine = open_clue(engine)
    foreign = engine.open("clue", "X1", CLUE).matter
    target = {"mine": mine.id, "other_dept": foreign.id}.get(follows, follows)
    before = counts(bureau)
    with pytest.raises(error, match=message):
        engine.open("clue", "C1", CLUE, follows=target, **kwargs)
    assert counts(bureau) == before
    assert engine.links(mine.id) == ([], [])


def test_due_lists_running_clocks_at_the_deadline_boundary(bureau: Store) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 3, 2, 9))
    m = open_clue(engine)  # received Monday 2 March: 15 working days end on Monday 23 March
    item = engine.due(today=date(2026, 3, 2))[0]
    assert (item.matter.id, item.clock.spec.name, item.clock.due_on) == (
        m.id,
        "verification",
        date(2026, 3, 23),
    )
    assert "第十八条" in item.clock.spec.basis
    # --within counts calendar days from today; the deadline itself is inside
    assert engine.due(within=3, today=date(2026, 3, 20))
    assert not engine.due(within=2, today=date(2026, 3, 20))
    last_day = engine.due(within=0, today=date(2026, 3, 23))[0].clock
    assert (last_day.overdue, last_day.remaining) == (False, 0)
    day_after = engine.due(within=0, today=date(2026, 3, 24))[0].clock
    assert (day_after.overdue, day_after.remaining) == (True, -1)
    # a clock that stopped is no longer due
    clock.advance(days=1)
    engine.advance(m, "hand_over", "H1", {"to_department": "卫健委", "reason": "不属本部门管辖"})
    assert engine.due(today=date(2026, 3, 24)) == []


def test_due_filters_by_department_and_by_officer_involved(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    mine = open_clue(engine, "C1")
    foreign = engine.open("clue", "X1", CLUE).matter
    assert {i.matter.id for i in engine.due()} == {mine.id, foreign.id}
    assert [i.matter.id for i in engine.due(department=DEPT)] == [mine.id]
    assert [i.matter.id for i in engine.due(department=OTHER_DEPT)] == [foreign.id]
    assert [i.matter.id for i in engine.due(officer="C1")] == [mine.id]
    assert engine.due(officer="C2") == []
    clock.advance(hours=1)
    engine.advance(mine, "assign", "H1", {"verifiers": ["C2"]})  # named, not acting
    assert [i.matter.id for i in engine.due(officer="C2")] == [mine.id]
    with pytest.raises(NotFoundError, match="officer 'NOBODY' does not exist"):
        engine.due(officer="NOBODY")


def test_cli_follows_show_walks_the_links_and_due_lists_deadlines(
    capsys: pytest.CaptureFixture[str], db: str
) -> None:
    recent = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    base = ("--actor", "C1", "--db", db, "-f", "source=report", "-f", "summary=无证经营")
    old = run_json(capsys, "matter", "open", "clue", *base, "--at", "2026-02-10T09:00")
    old_id = old["matter"]["id"]
    new = run_json(
        capsys, "matter", "open", "clue", *base, "--at", recent, "--follows", str(old_id)
    )
    new_id = new["matter"]["id"]
    shown = run_json(capsys, "matter", "show", str(new_id), "--db", db)
    assert [(s["depth"], s["id"]) for s in shown["story"]] == [(0, old_id), (1, new_id)]
    code, out, _ = run(capsys, "matter", "show", str(old_id), "--db", db)
    assert code == 0 and "linked matters" in out and f"#{new_id} clue" in out

    items = run_json(capsys, "due", "--db", db)
    assert [i["matter"] for i in items] == [old_id, new_id]  # soonest (overdue) first
    assert items[0]["overdue"] is True and items[1]["overdue"] is False
    assert "第十八条" in items[0]["basis"]
    code, out, _ = run(capsys, "due", "--db", db, "--dept", DEPT)
    assert code == 0 and "OVERDUE" in out and "2 deadlines, 1 overdue" in out

    code, _, err = run(capsys, "due", "--db", db, "--within", "-1")
    assert code == 2 and "--within must be 0 or more days" in err
    code, _, err = run(capsys, "matter", "open", "clue", *base, "--follows", "999")
    assert code == 2 and "matter 999 does not exist" in err


# --- which matter may follow which ---------------------------------------------------------------


def test_a_matter_follows_only_the_workflows_and_states_its_definition_names(
    bureau: Store,
) -> None:
    engine, clock = make_engine(bureau)
    clue = open_clue(engine)
    clock.advance(hours=1)
    case = {"procedure": "ordinary"}  # refused before its fields are even looked at
    with pytest.raises(RefusedError, match=r"a case follows a clue only once it is case_opened"):
        engine.open("case", "H1", case, follows=clue)
    with pytest.raises(RefusedError, match=r"a credit_repair matter follows only a publication"):
        engine.open("credit_repair", "H1", {}, follows=clue)
    assert engine.links(clue.id) == ([], [])


@pytest.mark.parametrize(
    ("follows", "fault"),
    [
        ("nosuch: [open]", "follows.nosuch: workflow 'nosuch' is not loaded"),
        ("clue: [case_opened, opened]", "follows.clue: clue has no state 'opened'"),
    ],
)
def test_a_definition_that_follows_what_is_not_there_is_refused_at_load(
    bureau: Store, tmp_path: Path, follows: str, fault: str
) -> None:
    text = SAMPLING_WORKFLOW.replace("initial:", f"follows:\n  {follows}\ninitial:", 1)
    plugin = DepartmentPlugin(tmp_path)
    plugin.path.write_text(text, "utf-8")
    with pytest.raises(DefinitionError, match=fault):
        make_engine(bureau, plugin)
