"""`zhifa draw verify` re-checks the order the stored rows give a draw, not only its record: the
plan published and both snapshots taken before the public value was published, the value
published no later than the draw was made; a redraw replacing the draw before it of the same plan,
made earlier and before the redraw's value was published, for a recorded reason, approved by an
officer who was a head of the plan's lead department when it was made.

Seen from the attacker's side: someone who can write to the database changes a row after the draw
(no trigger guards the draw, plan and snapshot rows, so none needs dropping) and the record still
re-runs the same; verify names each fault in one sentence, and the unaltered draw passes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT
from tests.helpers import drawer, run
from tests.test_draw_once import (
    DRAWN,
    FROZEN,
    PUBLISHED,
    REDRAWN,
    VALUE_2_AT,
    VALUE_AT,
    Setup,
    _engine,
)
from tests.test_draws import make_plan
from zhifa import directory, inspections
from zhifa.errors import IntegrityError
from zhifa.store import Store
from zhifa.store.tables import Draw, DrawPlan, Snapshot
from zhifa.timekeeping import FixedClock


def at(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


@pytest.fixture
def plan(bureau: Store) -> Setup:
    return Setup(bureau)


def alter(store: Store, table: Any, row_id: int, **values: Any) -> None:
    """Behind zhifa's back: an UPDATE of one row."""
    with store.write() as session:
        session.execute(sa.update(table).where(table.id == row_id).values(**values))


def test_an_unaltered_draw_and_redraw_verify(plan: Setup) -> None:
    first = plan.draw()
    assert inspections.verify_draw(plan.store, first.id) == []
    second = plan.redraw()
    assert inspections.verify_draw(plan.store, first.id) == []
    assert inspections.verify_draw(plan.store, second.id) == []


# -- the moments of a draw -----------------------------------------------------------------------


def _moment_cases() -> list[Any]:
    second = timedelta(seconds=1)
    return [
        pytest.param(
            {"value_published_at": None},
            [
                "draw {d} records no time its public value was published (value_published_at is "
                "empty), so nothing shows that its plan and snapshots were frozen before the value "
                "was known"
            ],
            id="value-time-erased",
        ),
        pytest.param(
            {"value_published_at": FROZEN},
            [
                f"the {kind} snapshot {{{key}}} of draw {{d}} was taken at {at(FROZEN)}, not before "
                f"its public value was published at {at(FROZEN)}; a draw uses directories frozen "
                "before the value is known"
                for kind, key in (("targets", "t"), ("inspectors", "i"))
            ],
            id="value-at-the-snapshots",
        ),
        pytest.param({"value_published_at": FROZEN + second}, [], id="value-a-second-after"),
        pytest.param(
            {"value_published_at": DRAWN + second},
            [
                f"the public value of draw {{d}} is recorded as published at {at(DRAWN + second)}, "
                f"after the draw was made at {at(DRAWN)}; a draw uses a value already published"
            ],
            id="value-after-the-draw",
        ),
        pytest.param({"value_published_at": DRAWN}, [], id="value-at-the-draw"),
        pytest.param(
            {"created_at": VALUE_AT - second},
            [
                f"the public value of draw {{d}} is recorded as published at {at(VALUE_AT)}, after "
                f"the draw was made at {at(VALUE_AT - second)}; a draw uses a value already "
                "published"
            ],
            id="draw-moved-before-the-value",
        ),
        pytest.param(
            {"replaces": 999},
            [
                "draw {d} is plan {p}'s first draw (generation 1) but names draw 999 as the draw "
                "it replaces"
            ],
            id="first-draw-replacing",
        ),
    ]


@pytest.mark.parametrize(("changes", "expected"), _moment_cases())
def test_an_altered_draw_row_fails_verify(
    plan: Setup, changes: Mapping[str, Any], expected: list[str]
) -> None:
    drawn = plan.draw()
    alter(plan.store, Draw, drawn.id, **changes)
    names = {"d": drawn.id, "p": plan.plan_id, "t": plan.snapshots[0], "i": plan.snapshots[1]}
    assert inspections.verify_draw(plan.store, drawn.id) == [e.format(**names) for e in expected]


@pytest.mark.parametrize(
    ("taken", "fails"),
    [(VALUE_AT, True), (VALUE_AT - timedelta(microseconds=1), False)],
    ids=["at-the-value", "just-before"],
)
def test_a_snapshot_retimed_after_the_value_fails_verify(
    plan: Setup, taken: datetime, fails: bool
) -> None:
    drawn = plan.draw()
    targets = plan.snapshots[0]
    alter(plan.store, Snapshot, targets, taken_at=taken)
    expected = [
        f"the targets snapshot {targets} of draw {drawn.id} was taken at {at(taken)}, not before "
        f"its public value was published at {at(VALUE_AT)}; a draw uses directories frozen "
        "before the value is known"
    ]
    assert inspections.verify_draw(plan.store, drawn.id) == (expected if fails else [])


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"published_at": VALUE_AT},
            f"plan {{p}} was published at {at(VALUE_AT)}, not before the public value of draw "
            f"{{d}} was published at {at(VALUE_AT)}; the plan must be frozen before the value is "
            "known",
        ),
        (
            {"status": "draft"},
            "plan {p} is recorded as draft, never published, yet draw {d} was made on it; only a "
            "published plan is drawn",
        ),
        (
            {"published_at": None},
            "plan {p} is recorded as published, never published, yet draw {d} was made on it; "
            "only a published plan is drawn",
        ),
    ],
    ids=["published-with-the-value", "back-to-draft", "publication-erased"],
)
def test_an_altered_plan_row_fails_verify(
    plan: Setup, changes: Mapping[str, Any], expected: str
) -> None:
    drawn = plan.draw()
    alter(plan.store, DrawPlan, plan.plan_id, **changes)
    problems = inspections.verify_draw(plan.store, drawn.id)
    assert problems == [expected.format(p=plan.plan_id, d=drawn.id)]


# -- a redraw ------------------------------------------------------------------------------------


def _redraw_cases() -> list[Any]:
    return [
        pytest.param(
            {"replaces": None},
            ["draw {r} is a redraw of plan {p} (generation 2) but names no draw it replaces"],
            id="replaces-nothing",
        ),
        pytest.param(
            {"replaces": 999}, ["draw {r} replaces draw 999, which is not stored"], id="unknown"
        ),
        pytest.param(
            {"generation": 3},
            [
                "draw {r} (generation 3) replaces draw {f}, which is generation 1, not the draw "
                "before it (2)"
            ],
            id="skips-a-generation",
        ),
        pytest.param(
            {"created_at": DRAWN, "value_published_at": VALUE_AT + timedelta(hours=1)},
            [
                f"draw {{r}} replaces draw {{f}}, made at {at(DRAWN)}, not before draw {{r}} was "
                f"made at {at(DRAWN)}",
                f"the public value of redraw {{r}} was published at "
                f"{at(VALUE_AT + timedelta(hours=1))}, not after the draw it replaces (draw {{f}}) "
                f"was made at {at(DRAWN)}; a redraw cannot choose among values already known",
            ],
            id="made-with-the-first",
        ),
        pytest.param(
            {"value_published_at": DRAWN},
            [
                f"the public value of redraw {{r}} was published at {at(DRAWN)}, not after the draw "
                f"it replaces (draw {{f}}) was made at {at(DRAWN)}; a redraw cannot choose among "
                "values already known"
            ],
            id="value-known-at-the-first-draw",
        ),
        pytest.param(
            {"value_published_at": DRAWN + timedelta(seconds=1)}, [], id="value-a-second-later"
        ),
        pytest.param(
            {"approved_by": None},
            [
                "redraw {r} names no approving officer; a redraw is approved by a head of HZXH, the "
                "plan's lead department"
            ],
            id="approval-erased",
        ),
        pytest.param(
            {"approved_by": "NOBODY"},
            [
                "redraw {r} is approved by 'NOBODY', who is no officer; a redraw is approved by a "
                "head of HZXH, the plan's lead department"
            ],
            id="no-such-officer",
        ),
        pytest.param(
            {"approved_by": "C1"},
            [
                f"redraw {{r}} is approved by C1 (李明), who was not a head of HZXH, the plan's lead "
                f"department, when it was made at {at(REDRAWN)} (roles case_handler,inspector, "
                "department HZXH)"
            ],
            id="a-case-handler",
        ),
        pytest.param(
            {"approved_by": "X1"},
            [
                f"redraw {{r}} is approved by X1 (外局长), who was not a head of HZXH, the plan's lead "
                f"department, when it was made at {at(REDRAWN)} (roles head, department HZSC)"
            ],
            id="another-departments-head",
        ),
        pytest.param(
            {"reason": "  "},
            ["redraw {r} records no reason for drawing plan {p} again"],
            id="reason-erased",
        ),
    ]


@pytest.mark.parametrize(("changes", "expected"), _redraw_cases())
def test_an_altered_redraw_row_fails_verify(
    plan: Setup, changes: Mapping[str, Any], expected: list[str]
) -> None:
    first = plan.draw()
    second = plan.redraw()
    alter(plan.store, Draw, second.id, **changes)
    names = {"r": second.id, "f": first.id, "p": plan.plan_id}
    problems = inspections.verify_draw(plan.store, second.id)
    assert problems == [e.format(**names) for e in expected]
    assert inspections.verify_draw(plan.store, first.id) == []


def test_a_redraw_pointed_at_another_plans_draw_fails_verify(plan: Setup) -> None:
    first = plan.draw()
    second = plan.redraw()
    clock = FixedClock(PUBLISHED)
    other_plan = inspections.create_plan(plan.store, make_plan(), clock)
    inspections.publish_plan(plan.store, other_plan, clock)
    clock.set(DRAWN)
    other = inspections.run_draw(
        plan.store, other_plan, "另一期", *plan.snapshots, value_published_at=VALUE_AT,
        clock=clock, by=drawer(plan.store),
    )  # fmt: skip
    alter(plan.store, Draw, second.id, replaces=other.id)
    assert inspections.verify_draw(plan.store, second.id) == [
        f"draw {second.id} replaces draw {other.id}, a draw of plan {other_plan}, not of its own "
        f"plan {plan.plan_id}"
    ]
    assert first.id != other.id


def test_the_approver_is_judged_as_they_stood_when_the_redraw_was_made(
    plan: Setup, tmp_path: Path
) -> None:
    """H1, head when approving, is made an inspector afterwards: the redraw still verifies."""
    plan.draw()
    second = plan.redraw()
    path = tmp_path / "任免.csv"
    path.write_text(f"工号,姓名,部门,角色\nH1,陈局长,{DEPT},inspector\n", "utf-8")
    directory.import_officers(plan.store, path, clock=FixedClock(REDRAWN + timedelta(days=1)))
    assert inspections.verify_draw(plan.store, second.id) == []


def test_an_altered_draw_creates_no_tasks(plan: Setup) -> None:
    drawn = plan.draw()
    alter(plan.store, Draw, drawn.id, value_published_at=DRAWN + timedelta(hours=1))
    with pytest.raises(IntegrityError) as err:
        inspections.create_tasks(_engine(plan.store), drawn.id, {DEPT: "H1"})
    assert str(err.value).startswith(
        f"draw {drawn.id} does not verify, so it creates no tasks: the public value of draw "
        f"{drawn.id} is recorded as published at"
    )


def test_cli_draw_verify_names_the_altered_row(
    capsys: pytest.CaptureFixture[str], plan: Setup
) -> None:
    plan.draw()
    second = plan.redraw()
    args = ("draw", "verify", str(second.id), "--db", plan.store.url)
    assert run(capsys, *args)[0] == 0
    alter(plan.store, Draw, second.id, approved_by="C1", value_published_at=VALUE_2_AT)
    code, _, err = run(capsys, *args)
    assert code == 1 and "Traceback" not in err
    assert f"draw {second.id} does not verify: redraw {second.id} is approved by C1 (李明)" in err
