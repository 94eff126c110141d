"""The accountability review (尽职免责): findings read from the record, independent reviewers, and
conclusions the record does not contradict."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import CERT_FROM, DEPT, ENTITY
from tests.helpers import counts, make_engine
from zhifa import directory
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.procedure.accountability.findings import gather
from zhifa.store import Store
from zhifa.store.tables import HISTORY_START, Officer, OfficerVersion
from zhifa.timekeeping import FixedClock

WINDOW = {"window_from": "2026-02-01", "window_to": "2026-03-31"}
OPENING = {"incident_date": "2026-04-01", "incident": "消费者食用后腹泻", **WINDOW}


def add_reviewer(store: Store) -> None:
    with store.write() as session:
        session.add(Officer(id="R1", name="审查员", department_code=DEPT, roles="legal_reviewer"))


def history_of_supervision(engine: Engine, clock: Any) -> tuple[int, int]:
    """Two clues on the entity: one verified with testing and handed over in time, one left
    unverified past its 15 working days."""
    clock.set(datetime(2026, 2, 10, 9))
    tested = engine.open("clue", "C1", {"source": "complaint", "summary": "过期"}, entity=ENTITY)
    clock.set(datetime(2026, 2, 11, 9))
    engine.advance(tested.matter, "assign", "H1", {"verifiers": ["C1"]})
    clock.set(datetime(2026, 2, 12, 9))
    engine.advance(tested.matter.id, "start_testing", "C1", {"kind": "testing", "body": "省质检院"})
    clock.set(datetime(2026, 3, 3, 9))
    engine.advance(tested.matter.id, "finish_testing", "C1", {"result": "合格"})
    engine.advance(
        tested.matter.id, "hand_over", "H1", {"to_department": "卫健委", "reason": "职责"}
    )
    clock.set(datetime(2026, 3, 2, 10))
    late = engine.open("clue", "C2", {"source": "report", "summary": "无证"}, entity=ENTITY)
    clock.set(datetime(2026, 3, 3, 10))
    engine.advance(late.matter, "assign", "H1", {"verifiers": ["C2"]})
    clock.set(datetime(2026, 4, 2, 9))
    return tested.matter.id, late.matter.id


@pytest.fixture
def reviewed(bureau: Store) -> tuple[Engine, Any, int, tuple[int, int]]:
    add_reviewer(bureau)
    engine, clock = make_engine(bureau)
    clues = history_of_supervision(engine, clock)
    review = engine.open("accountability", "H1", OPENING, entity=ENTITY).matter
    return engine, clock, review.id, clues


def test_findings_name_every_officer_with_their_steps_and_flags(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
) -> None:
    engine, _, _, (tested, late) = reviewed
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 2))
    assert f.matters == (tested, late)
    assert set(f.officers) == {"C1", "C2", "H1"}
    c1, c2, h1 = f.officers["C1"], f.officers["C2"], f.officers["H1"]
    assert c1.matters == {tested} and c2.matters == {late} and h1.matters == {tested, late}
    assert "expert_false_report" in c1.possible and not c2.possible
    # the late clue's verification period (15 working days from 2 March) ended on 23 March
    late_flag = f"matter {late}: deadline verification (2026-03-23) is overdue on 2026-04-02"
    assert c2.flags == [late_flag] and h1.flags == [late_flag] and c1.flags == []
    assert not any(o.supported for o in f.officers.values())  # no inspection with a result


def test_the_window_bounds_are_inclusive(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
) -> None:
    engine, _, _, (tested, late) = reviewed
    with engine.store.read() as session:
        # the late clue was opened on 2 March: a window ending 1 March leaves it out
        before = gather(session, 1, date(2026, 2, 10), date(2026, 3, 1), date(2026, 4, 2))
        on = gather(session, 1, date(2026, 3, 2), date(2026, 3, 2), date(2026, 4, 2))
    assert before.matters == (tested,)
    assert on.matters == (late,)


def test_a_step_outside_the_officers_roles_is_flagged(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
) -> None:
    """An officer written to the table directly has no history: the current record is judged."""
    engine, _, _, (tested, _) = reviewed
    with engine.store.write() as session:
        session.execute(sa.update(Officer).where(Officer.id == "H1").values(roles="inspector"))
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 2))
    assert (
        f"matter {tested} step 2 (assign) on 2026-02-11 needs role head, which the officer did "
        "not hold that day (roles: inspector, as the current record shows; no history is kept "
        "for this officer)"
    ) in f.officers["H1"].flags


ASSIGNED = datetime(2026, 2, 11, 9)  # when H1 assigned the tested clue (step 2)


def seed_versions(store: Store, officer_id: str, *versions: tuple[datetime, str]) -> None:
    """Versions of an officer's record with explicit times: (valid from, roles)."""
    with store.write() as session:
        officer = session.get(Officer, officer_id)
        assert officer is not None
        for valid_from, roles in versions:
            session.add(
                OfficerVersion(
                    officer_id=officer_id,
                    name=officer.name,
                    department_code=officer.department_code,
                    roles=roles,
                    certificate_no=officer.certificate_no,
                    certificate_valid_from=officer.certificate_valid_from,
                    certificate_valid_to=officer.certificate_valid_to,
                    valid_from=valid_from,
                    recorded_by=directory.BEFORE_HISTORY
                    if valid_from == HISTORY_START
                    else "import 任命.csv row 2",
                )
            )


def role_flags(found: Any, officer_id: str) -> list[str]:
    return [flag for flag in found.officers[officer_id].flags if "needs role" in flag]


@pytest.mark.parametrize(
    ("granted", "flagged"),
    [
        (ASSIGNED + timedelta(seconds=1), True),
        (ASSIGNED, False),
        (ASSIGNED - timedelta(seconds=1), False),
    ],
    ids=["granted-a-second-after-the-step", "granted-at-the-step", "granted-a-second-before"],
)
def test_roles_are_judged_as_they_were_when_the_step_was_taken(
    reviewed: tuple[Engine, Any, int, tuple[int, int]], granted: datetime, flagged: bool
) -> None:
    """H1 is head today, but was made head only at ``granted``; the assignment needs head."""
    engine, _, _, (tested, _) = reviewed
    seed_versions(engine.store, "H1", (HISTORY_START, "inspector"), (granted, "head"))
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 2))
    expected = (
        f"matter {tested} step 2 (assign) on 2026-02-11 needs role head, which the officer did "
        "not hold that day (roles: inspector, as recorded before zhifa kept officer history)"
    )
    assert role_flags(f, "H1") == ([expected] if flagged else [])


def test_a_step_before_the_officers_first_record_is_judged_on_that_record(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
) -> None:
    """A step recorded with a time before the officer's record began (entered late) is judged on
    the earliest record, and the flag says so."""
    engine, _, _, (tested, _) = reviewed
    seed_versions(engine.store, "H1", (datetime(2026, 2, 12, 9), "inspector"))
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 2, 1), date(2026, 2, 11), date(2026, 4, 2))
    assert role_flags(f, "H1") == [
        f"matter {tested} step 2 (assign) on 2026-02-11 needs role head, which the officer did "
        "not hold that day (roles: inspector, as the officer's earliest record shows, made "
        "2026-02-12 09:00:00 by import 任命.csv row 2, after the step)"
    ]


def test_a_role_taken_away_after_a_step_does_not_flag_it(
    reviewed: tuple[Engine, Any, int, tuple[int, int]], tmp_path: Path
) -> None:
    """H1 was head when assigning the clues; an import on 1 March left H1 an inspector. Steps
    before it stand; the two H1 took on 3 March, as an inspector by the record, are flagged."""
    engine, _, _, (tested, late) = reviewed
    path = tmp_path / "任免.csv"
    path.write_text(f"工号,姓名,部门,角色\nH1,陈局长,{DEPT},inspector\n", "utf-8")
    directory.import_officers(engine.store, path, clock=FixedClock(datetime(2026, 3, 1, 9)))
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 2))
    source = "(roles: inspector, as recorded 2026-03-01 09:00:00 by import 任免.csv row 2)"
    assert role_flags(f, "H1") == [
        f"matter {tested} step 5 (hand_over) on 2026-03-03 needs role head, which the officer "
        f"did not hold that day {source}",
        f"matter {late} step 2 (assign) on 2026-03-03 needs role head, which the officer did "
        f"not hold that day {source}",
    ]


def test_a_certificate_renewed_after_a_step_does_not_hide_that_it_had_expired(
    bureau: Store, tmp_path: Path
) -> None:
    """C3's certificate ran to 2 March. On 10 March it was extended to 2029; on 12 March C3
    recorded a clue opened on 5 March. Today's record covers 5 March, the record then did not."""
    engine, clock = make_engine(bureau, at=datetime(2026, 3, 10, 9))
    path = tmp_path / "换证.csv"
    path.write_text(
        "工号,姓名,部门,角色,执法证号,有效期起,有效期止\n"
        f"C3,赵强,{DEPT},case_handler,ZF-C3,{CERT_FROM},2029-12-31\n",
        "utf-8",
    )
    directory.import_officers(bureau, path, clock=clock)
    clock.set(datetime(2026, 3, 12, 9))
    opened = datetime(2026, 3, 5, 9)
    clue = engine.open(
        "clue", "C3", {"source": "complaint", "summary": "无证经营"}, opened, entity=ENTITY
    ).matter
    assert directory.get_officer(bureau, "C3").certificate_valid_to == date(2029, 12, 31)
    with bureau.read() as session:
        f = gather(session, 1, date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 12))
    (flag,) = f.officers["C3"].flags
    assert flag.startswith(f"matter {clue.id} step 1 (")
    assert flag.endswith(
        "on 2026-03-05 was taken without an enforcement certificate valid that day "
        "(certificate ZF-C3 valid 2024-01-01 to 2026-03-02, as recorded before zhifa kept "
        "officer history; 行政处罚法 第四十二条)"
    )
    # the same step recorded a day after the renewal took effect is not flagged
    with bureau.read() as session:
        f = gather(session, 1, date(2026, 3, 11), date(2026, 3, 31), date(2026, 3, 12))
    assert "C3" not in f.officers


@pytest.mark.parametrize(
    ("opening", "entity", "reason"),
    [
        ({**OPENING, "window_from": "2026-04-01"}, ENTITY, "starts on 2026-04-01, after it ends"),
        ({**OPENING, "window_to": "2026-04-03"}, ENTITY, "ends on 2026-04-03, after today"),
        ({**OPENING, "incident_date": "2026-04-03"}, ENTITY, "incident date 2026-04-03 is after"),
        (OPENING, None, "give --entity"),
    ],
)
def test_a_review_window_that_does_not_fit_is_refused(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
    opening: dict[str, str],
    entity: str | None,
    reason: str,
) -> None:
    engine = reviewed[0]
    before = counts(engine.store)
    with pytest.raises(GuardRefused) as info:
        engine.open("accountability", "H1", opening, entity=entity)
    assert any(reason in r for r in info.value.reasons)
    assert counts(engine.store) == before


def test_the_window_may_end_today(reviewed: tuple[Engine, Any, int, tuple[int, int]]) -> None:
    engine = reviewed[0]
    today = {**OPENING, "window_to": "2026-04-02", "incident_date": "2026-04-02"}
    assert engine.open("accountability", "H1", today, entity=ENTITY).matter.state == "opened"


def test_reviewers_may_not_review_their_own_conduct(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
) -> None:
    engine, _, review, _ = reviewed
    with pytest.raises(GuardRefused) as info:
        engine.advance(review, "review", "H1", {"reviewers": ["R1", "C2"]})
    assert info.value.reasons == [
        "reviewer 王芳 (C2) took a step or was named in the matters under review; nobody "
        "reviews their own conduct"
    ]
    assert engine.advance(review, "review", "H1", {"reviewers": ["R1", "L1"]}).matter.state == (
        "under_review"
    )


GOOD = {
    "C1": {"outcome": "exempt", "grounds": ["expert_false_report"], "reasons": "检测报告不实"},
    "C2": {"outcome": "accountable", "reasons": "超过核查期限未作处理"},
    "H1": {"outcome": "accountable", "reasons": "未督促核查"},
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"C2": None}, "no conclusion for 王芳 (C2), whom the findings name"),
        (
            {"L1": {"outcome": "exempt", "grounds": ["no_causal_link"], "reasons": "x"}},
            "L1 is not among",
        ),
        ({"C1": {"outcome": "exempt", "reasons": "x"}}, "concluded exempt with no ground"),
        (
            {"C2": {"outcome": "exempt", "grounds": ["inspected_as_required"], "reasons": "x"}},
            "王芳 (C2): the record does not support '已按法律法规和检查计划履行检查职责'",
        ),
        (
            {"C2": {"outcome": "exempt", "grounds": ["expert_false_report"], "reasons": "x"}},
            "needs a commissioned testing or appraisal body",
        ),
        (
            {"H1": {"outcome": "accountable", "grounds": ["no_causal_link"], "reasons": "x"}},
            "concluded accountable but exemption grounds are given",
        ),
    ],
)
def test_conclusions_the_record_contradicts_are_refused(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
    change: dict[str, Any],
    reason: str,
) -> None:
    engine, _, review, _ = reviewed
    engine.advance(review, "review", "H1", {"reviewers": ["R1", "L1"]})
    conclusions = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    before = counts(engine.store)
    with pytest.raises(GuardRefused) as info:
        engine.advance(review, "conclude", "H1", {"conclusions": conclusions})
    assert any(reason in r for r in info.value.reasons), info.value.reasons
    assert counts(engine.store) == before


def test_a_review_concludes_for_every_officer(
    reviewed: tuple[Engine, Any, int, tuple[int, int]],
) -> None:
    engine, _, review, _ = reviewed
    engine.advance(review, "review", "H1", {"reviewers": ["R1", "L1"]})
    done = engine.advance(review, "conclude", "H1", {"conclusions": GOOD})
    assert done.matter.state == "concluded"
    assert done.event.data["conclusions"]["C2"]["outcome"] == "accountable"


def test_cli_findings(capsys: pytest.CaptureFixture[str], sqlite_url: str) -> None:
    from tests.conftest import seed_bureau
    from tests.helpers import run, run_json

    store = Store(sqlite_url)
    seed_bureau(store)
    engine, clock = make_engine(store)
    _, late = history_of_supervision(engine, clock)
    review = engine.open("accountability", "H1", OPENING, entity=ENTITY).matter
    store.dispose()
    found = run_json(capsys, "accountability", "findings", str(review.id), "--db", sqlite_url)
    assert [o["officer"] for o in found["officers"]] == ["C1", "C2", "H1"]
    assert found["officers"][0]["possible_grounds"] == ["expert_false_report"]
    code, out, _ = run(capsys, "accountability", "findings", str(review.id), "--db", sqlite_url)
    assert code == 0 and "王芳 (C2)" in out and "overdue" in out
    code, _, err = run(capsys, "accountability", "findings", str(late), "--db", sqlite_url)
    assert code == 2 and f"matter {late} is a clue, not an accountability review" in err


@pytest.mark.parametrize("draw", ["2026-第1批", None])
def test_an_inspection_done_as_required_supports_the_exemption_unless_it_was_not_drawn(
    bureau: Store, draw: str | None
) -> None:
    add_reviewer(bureau)
    engine, clock = make_engine(bureau)
    clock.set(datetime(2026, 3, 2, 9))
    opening = {"source": "random_draw", "summary": "双随机抽查", "checklist": "A1: 食品贮存条件"}
    if draw:
        opening["draw"] = draw
    m = engine.open("inspection", "C1", opening, entity=ENTITY).matter
    clock.set(datetime(2026, 3, 3, 9))
    engine.advance(m.id, "assign", "H1", {"inspectors": ["C1", "C2"]})
    engine.advance(m.id, "start", "C1", {"present": ["C1", "C2"]})
    clock.set(datetime(2026, 3, 3, 16))
    engine.advance(m.id, "record_result", "C2", {"results": "A1: pass"})
    clock.set(datetime(2026, 3, 10, 9))
    engine.advance(m.id, "publish", "C1", {"text": "未发现问题"})
    clock.set(datetime(2026, 4, 2, 9))
    review = engine.open("accountability", "H1", OPENING, entity=ENTITY).matter.id
    engine.advance(review, "review", "H1", {"reviewers": ["R1", "L1"]})
    exempt = {"outcome": "exempt", "grounds": ["inspected_as_required"], "reasons": "按计划检查"}
    conclusions = {"C1": exempt, "C2": exempt, "H1": {"outcome": "accountable", "reasons": "x"}}
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 2, 1), date(2026, 3, 31), date(2026, 4, 2))
    if draw:
        assert f.officers["C1"].supported == {"inspected_as_required"}
        assert f.officers["C2"].supported == {"inspected_as_required"}
        done = engine.advance(review, "conclude", "H1", {"conclusions": conclusions})
        assert done.matter.state == "concluded"
    else:
        flag = f"matter {m.id} is an inspection recorded as drawn at random, but no draw"
        assert all(x.startswith(flag) for x in f.officers["C1"].flags) and f.officers["C1"].flags
        with pytest.raises(GuardRefused) as info:
            engine.advance(review, "conclude", "H1", {"conclusions": conclusions})
        assert len(info.value.reasons) == 2  # C1 and C2: the record does not support it


def test_an_officer_named_only_as_conflicted_did_not_inspect(bureau: Store) -> None:
    engine, clock = make_engine(bureau)
    clock.set(datetime(2026, 3, 2, 9))
    opening = {
        "source": "random_draw",
        "draw": "2026-第1批",
        "summary": "双随机抽查",
        "checklist": "A1: 食品贮存条件",
    }
    m = engine.open("inspection", "C1", opening, entity=ENTITY).matter.id
    clock.set(datetime(2026, 3, 3, 9))
    engine.advance(m, "assign", "H1", {"inspectors": ["C1", "C2"], "declared_conflicts": ["C4"]})
    engine.advance(m, "start", "C1", {"present": ["C1", "C2"]})
    engine.advance(m, "record_result", "C2", {"results": "A1: pass"})
    with engine.store.read() as session:
        f = gather(session, 1, date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 4))
    assert f.officers["C4"].named_in == {m} and f.officers["C4"].supported == set()
    assert f.officers["C1"].supported == f.officers["C2"].supported == {"inspected_as_required"}
    assert f.officers["H1"].supported == set()  # assigned the task, was not on site
