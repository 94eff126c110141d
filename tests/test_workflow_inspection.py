"""The inspection task (检查任务): certified inspectors without conflicts, a result for every checklist
item, rectification, the clue mark, publication within 20 working days across the 2026 holidays and
make-up days, and corrections signed off by the head — on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from tests.conftest import DEPT, ENTITY
from tests.helpers import make_engine
from zhifa.engine import Engine
from zhifa.errors import FieldError, GuardRefused, PermissionRefused
from zhifa.hooks.types import MatterView
from zhifa.procedure.inspection import (
    ItemResult,
    clue_problems,
    coverage_problems,
    parse_checklist,
    parse_results,
)
from zhifa.store import Store
from zhifa.store.tables import Officer
from zhifa.timekeeping import FixedClock

CHECKLIST = "A1: 经营者资质\nA2: 食品贮存条件\nA3: 进货查验记录"
ALL_PASS = "A1: pass\nA2: pass\nA3: pass"

# officers of this file, beside the bureau's: I1/I2 inspectors only; I3's certificate lasts until
# 2026-03-12; I4 holds no certificate.
EXTRA = {
    "I1": (date(2024, 1, 1), date(2027, 12, 31)),
    "I2": (date(2024, 1, 1), date(2027, 12, 31)),
    "I3": (date(2024, 1, 1), date(2026, 3, 12)),
    "I4": (None, None),
}


@pytest.fixture
def inspectors(bureau: Store) -> Iterator[Store]:
    with bureau.write() as s:
        for oid, (start, end) in EXTRA.items():
            s.add(
                Officer(
                    id=oid,
                    name=f"检查员{oid}",
                    department_code=DEPT,
                    roles="inspector",
                    certificate_no=f"ZF-{oid}" if start else None,
                    certificate_valid_from=start,
                    certificate_valid_to=end,
                )
            )
    yield bureau


# -- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (CHECKLIST, None),
        ("A1：全角冒号也可以", None),
        ("", "names no item"),
        ("A1 经营者资质", "must read 'CODE: what is checked'"),
        ("A1: x\nA1: y", "listed twice"),
        ("A1:", "must read"),
    ],
)
def test_parse_checklist(text: str, problem: str | None) -> None:
    items, problems = parse_checklist(text)
    if problem is None:
        assert problems == [] and items
    else:
        assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize(
    ("text", "expected", "problem"),
    [
        ("A1: pass", {"A1": ItemResult("A1", "pass", "")}, None),
        ("A2: rectify 温度记录缺失", {"A2": ItemResult("A2", "rectify", "温度记录缺失")}, None),
        ("A1: fine", {}, "'fine' is not a result"),
        ("A1: pass\nA1: violation", {"A1": ItemResult("A1", "pass", "")}, "twice"),
        ("nonsense", {}, "must read 'CODE: RESULT note'"),
    ],
)
def test_parse_results(text: str, expected: dict[str, ItemResult], problem: str | None) -> None:
    results, problems = parse_results(text)
    assert results == expected
    assert (problems == []) if problem is None else (problem in problems[0])


def test_coverage_and_clue_rules() -> None:
    checklist, _ = parse_checklist(CHECKLIST)
    results, _ = parse_results("A1: pass\nA4: pass")
    problems = coverage_problems(checklist, results)
    assert [p.split(" (")[0].split(" is")[0] for p in problems] == [
        "checklist item A2",
        "checklist item A3",
        "item A4",
    ]
    violation, _ = parse_results("A1: violation 销售过期食品")
    assert "clue to open" in clue_problems(violation, False, None)[0]
    assert "clue_summary" in clue_problems(violation, True, None)[0]
    assert clue_problems(violation, True, "过期食品") == []
    assert "no item is recorded" in clue_problems(results, True, "x")[0]


# -- the workflow ----------------------------------------------------------------------------------


def plan(engine: Engine, checklist: str = CHECKLIST) -> MatterView:
    data = {"source": "random_draw", "summary": "2026年第一批双随机抽查", "checklist": checklist}
    return engine.open("inspection", "C1", data, entity=ENTITY).matter


def step(engine: Engine, clock: FixedClock, m: MatterView, at: datetime, *args: Any) -> MatterView:
    clock.set(at)
    return engine.advance(m, *args).matter


def inspected(
    engine: Engine, clock: FixedClock, results: str = ALL_PASS, ended: datetime | None = None
) -> MatterView:
    """A task assigned to C1 and C2, inspected and its result recorded at ``ended``."""
    ended = ended or datetime(2026, 2, 6, 16)
    m = plan(engine)
    m = step(engine, clock, m, ended.replace(hour=8), "assign", "H1", {"inspectors": ["C1", "C2"]})
    m = step(engine, clock, m, ended.replace(hour=9), "start", "C1", {"present": ["C1", "C2"]})
    return step(engine, clock, m, ended, "record_result", "C2", {"results": results})


def test_opening_needs_a_valid_checklist(bureau: Store) -> None:
    engine, _ = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    with pytest.raises(GuardRefused) as err:
        plan(engine, "A1 经营者资质\nA2: x\nA2: y")
    assert len(err.value.reasons) == 2
    assert all("第三十条" in r for r in err.value.reasons)


@pytest.mark.parametrize(
    ("names", "conflicts", "fragments"),
    [
        (["C1", "C2"], None, []),
        (["I1", "I2"], ["C1"], []),  # a declared conflict of someone not assigned
        (["C1", "C2"], ["C2"], ["王芳 (C2) has declared a conflict of interest", "第四十三条"]),
        (["C1", "L1"], None, ["L1) does not hold the role inspector"]),
        (["C1", "I4"], None, ["I4) holds no enforcement certificate", "第四十二条"]),
        (["C1", "X1"], None, ["belongs to HZSC", "does not hold the role inspector"]),
    ],
)
def test_assign_rules(
    inspectors: Store, names: list[str], conflicts: list[str] | None, fragments: list[str]
) -> None:
    engine, clock = make_engine(inspectors, at=datetime(2026, 2, 2, 9))
    m = plan(engine)
    data: dict[str, Any] = {"inspectors": names}
    if conflicts:
        data["declared_conflicts"] = conflicts
    clock.advance(hours=1)
    if not fragments:
        assert engine.advance(m, "assign", "H1", data).matter.state == "assigned"
        return
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "assign", "H1", data)
    text = " | ".join(err.value.reasons)
    assert all(f in text for f in fragments), text


def test_assign_needs_an_entity(bureau: Store) -> None:
    engine, _ = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    data = {"source": "targeted", "summary": "无主体任务", "checklist": CHECKLIST}
    m = engine.open("inspection", "C1", data).matter
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "assign", "H1", {"inspectors": ["C1", "C2"]})
    (reason,) = err.value.reasons
    assert "names no market entity" in reason and "第二十三条" in reason


def test_assign_needs_at_least_two_inspectors(bureau: Store) -> None:
    engine, _ = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    with pytest.raises(FieldError) as err:
        engine.advance(plan(engine), "assign", "H1", {"inspectors": ["C1"]})
    assert "at least 2" in err.value.problems["inspectors"]


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(datetime(2026, 3, 12, 9), True), (datetime(2026, 3, 13, 9), False)],
    ids=["certificate-last-day", "day-after-expiry"],
)
def test_on_site_inspectors_certified_on_the_day(
    inspectors: Store, day: datetime, allowed: bool
) -> None:
    engine, clock = make_engine(inspectors, at=datetime(2026, 3, 2, 9))
    m = engine.advance(plan(engine), "assign", "H1", {"inspectors": ["I1", "I3"]}).matter
    clock.set(day)
    if allowed:
        assert engine.advance(m, "start", "I1", {"present": ["I1", "I3"]}).matter.state == "on_site"
    else:
        with pytest.raises(GuardRefused) as err:
            engine.advance(m, "start", "I1", {"present": ["I1", "I3"]})
        assert "expired on 2026-03-12" in err.value.reasons[0]


def test_on_site_only_assigned_inspectors(inspectors: Store) -> None:
    engine, clock = make_engine(inspectors, at=datetime(2026, 3, 2, 9))
    m = engine.advance(plan(engine), "assign", "H1", {"inspectors": ["C1", "C2"]}).matter
    clock.advance(hours=1)
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "start", "I2", {"present": ["C1", "I1"]})
    assert len(err.value.reasons) == 2
    assert "I1 was not assigned" in err.value.reasons[0]
    assert "not among the inspectors on site" in err.value.reasons[1]


def test_recusal_sends_the_task_back_and_bars_the_officer(inspectors: Store) -> None:
    engine, clock = make_engine(inspectors, at=datetime(2026, 3, 2, 9))
    m = engine.advance(plan(engine), "assign", "H1", {"inspectors": ["C1", "C2"]}).matter
    clock.advance(hours=1)
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "recuse", "H1", {"officer": "I1", "kind": "decided", "reason": "x"})
    assert re.search("I1 is not an inspector of this task", " | ".join(err.value.reasons))
    recusal = {"officer": "C2", "kind": "declared", "reason": "与负责人系近亲属"}
    m = engine.advance(m, "recuse", "C2", recusal).matter
    assert m.state == "planned"
    clock.advance(hours=1)
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "assign", "H1", {"inspectors": ["C1", "C2"]})
    (reason,) = err.value.reasons
    assert "王芳 (C2) withdrew from this inspection (与负责人系近亲属)" in reason
    assert "第四十三条" in reason
    assert (
        engine.advance(m, "assign", "H1", {"inspectors": ["C1", "I1"]}).matter.state == "assigned"
    )


@pytest.mark.parametrize(
    ("results", "extra", "fragments"),
    [
        (ALL_PASS, {}, []),
        ("A1: pass\nA2: not_found 住所无此企业\nA3: not_applicable", {}, []),
        ("A1: pass\nA2: pass", {}, ["checklist item A3 (进货查验记录) has no result"]),
        ("A1: pass\nA2: pass\nA3: pass\nB9: pass", {}, ["item B9 is not on the task's checklist"]),
        ("A1: pass\nA2: ok\nA3: pass", {}, ["'ok' is not a result"]),
        ("A1: pass\nA2: violation 过期食品\nA3: pass", {}, ["may be violations"]),
        (
            "A1: pass\nA2: violation 过期食品\nA3: pass",
            {"clue_to_open": True, "clue_summary": "销售超过保质期的食品"},
            [],
        ),
        (ALL_PASS, {"clue_to_open": True, "clue_summary": "x"}, ["no item is recorded"]),
    ],
)
def test_record_result_per_item(
    bureau: Store, results: str, extra: dict[str, Any], fragments: list[str]
) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    m = plan(engine)
    m = step(
        engine, clock, m, datetime(2026, 2, 3, 9), "assign", "H1", {"inspectors": ["C1", "C2"]}
    )
    m = step(engine, clock, m, datetime(2026, 2, 4, 9), "start", "C1", {"present": ["C1", "C2"]})
    clock.advance(hours=3)
    data = {"results": results, **extra}
    if not fragments:
        r = engine.advance(m, "record_result", "C2", data)
        assert r.matter.state == "inspected"
        assert r.matter.data["record_result"].get("clue_to_open") == extra.get("clue_to_open")
        return
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "record_result", "C2", data)
    text = " | ".join(err.value.reasons)
    assert all(f in text for f in fragments), text


def test_only_an_inspector_on_site_records_the_result(inspectors: Store) -> None:
    engine, clock = make_engine(inspectors, at=datetime(2026, 2, 2, 9))
    m = plan(engine)
    m = step(
        engine, clock, m, datetime(2026, 2, 3, 9), "assign", "H1", {"inspectors": ["C1", "C2"]}
    )
    m = step(engine, clock, m, datetime(2026, 2, 4, 9), "start", "C1", {"present": ["C1", "C2"]})
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "record_result", "I1", {"results": ALL_PASS})
    assert re.search(r"I1.*was not on site", " | ".join(err.value.reasons))


# Inspections ending on these days, the last day to publish, counted over the 2026 calendar:
# Spring Festival (15–23 Feb off, Sat 14 and Sat 28 Feb worked) and National Day (1–7 Oct and
# 25 Sep off, Sun 20 Sep and Sat 10 Oct worked).
PUBLICATION = [
    (date(2026, 2, 6), date(2026, 3, 12), date(2026, 3, 13)),
    (date(2026, 2, 13), date(2026, 3, 19), date(2026, 3, 20)),
    (date(2026, 1, 23), date(2026, 2, 27), date(2026, 2, 28)),  # the 21st: a make-up Saturday
    (date(2026, 9, 11), date(2026, 10, 15), date(2026, 10, 16)),
    (date(2026, 9, 18), date(2026, 10, 22), date(2026, 10, 23)),
]


@pytest.mark.parametrize(
    ("ended", "last", "late"), PUBLICATION, ids=[str(p[0]) for p in PUBLICATION]
)
@pytest.mark.parametrize("on_last_day", [True, False], ids=["20th-day", "21st-day"])
def test_publication_within_20_working_days(
    sqlite_bureau: Store, ended: date, last: date, late: date, on_last_day: bool
) -> None:
    engine, clock = make_engine(sqlite_bureau, at=datetime(2026, 1, 5, 9))
    start = datetime(ended.year, ended.month, ended.day, 16)
    m = inspected(engine, clock, ended=start)
    day = last if on_last_day else late
    clock.set(datetime(day.year, day.month, day.day, 17))
    text = {"text": "未发现问题"}
    if on_last_day:
        r = engine.advance(m, "publish", "C1", text)
        assert r.matter.state == "published"
        return
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "publish", "C1", text)
    (reason,) = err.value.reasons
    assert f"had to be published by {last}" in reason and "第三十九条" in reason
    with pytest.raises(PermissionRefused):
        engine.advance(m, "publish_late", "C1", {**text, "late_reason": "x"})
    r = engine.advance(m, "publish_late", "H1", {**text, "late_reason": "系统故障"})
    assert r.matter.state == "published"


def test_publication_clock_on_the_record(bureau: Store) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    m = inspected(engine, clock)
    (c,) = [c for c in engine.clocks(m.id) if c.spec.name == "publication"]
    assert (c.started_on, c.due_on, c.status) == (date(2026, 2, 6), date(2026, 3, 12), "running")
    with pytest.raises(GuardRefused) as err:
        step(
            engine,
            clock,
            m,
            datetime(2026, 3, 12, 9),
            "publish_late",
            "H1",
            {"text": "x", "late_reason": "y"},
        )
    assert re.search("publish the result normally", " | ".join(err.value.reasons))


def test_rectification_ordered_rechecked_and_published(bureau: Store) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    results = "A1: pass\nA2: rectify 冷藏温度记录缺失\nA3: rectified 当场补齐台账"
    m = inspected(engine, clock, results)
    with pytest.raises(GuardRefused) as err:
        step(engine, clock, m, datetime(2026, 2, 9, 9), "publish", "C1", {"text": "x"})
    assert re.search("order it in writing", " | ".join(err.value.reasons))
    order = {"items": "A2, A3", "deadline": "2026-02-09", "requirements": "补齐记录"}
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "order_rectification", "C1", order)
    assert [r.split(" (")[0] for r in err.value.reasons] == [
        "item A3 was not found needing rectification",
        "the rectification deadline 2026-02-09 must be after the order of 2026-02-09",
    ]
    order = {**order, "items": "A2", "deadline": "2026-02-13"}
    m = engine.advance(m, "order_rectification", "C1", order).matter
    assert m.state == "rectifying"
    m = step(engine, clock, m, datetime(2026, 2, 10, 9), "publish", "C1", {"text": "责令整改"})
    assert m.state == "published_rectifying"
    recheck = {"outcome": "rectified", "notes": "已整改"}
    m = step(engine, clock, m, datetime(2026, 2, 13, 9), "recheck", "C2", recheck)
    assert m.state == "published"


def test_published_result_changes_only_with_the_heads_sign_off(bureau: Store) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    m = inspected(engine, clock)
    m = step(engine, clock, m, datetime(2026, 2, 9, 9), "publish", "C1", {"text": "未发现问题"})
    correction = {
        "results": "A1: pass\nA2: violation 过期食品\nA3: pass",
        "clue_to_open": True,
        "clue_summary": "销售超过保质期的食品",
        "reason": "复核录像发现A2记录错误",
    }
    clock.set(datetime(2026, 2, 10, 9))
    with pytest.raises(GuardRefused) as err:
        engine.advance(m, "request_correction", "C1", {**correction, "clue_to_open": False})
    assert re.search("may be violations", " | ".join(err.value.reasons))
    m = engine.advance(m, "request_correction", "C1", correction).matter
    assert m.state == "correction_pending"
    with pytest.raises(PermissionRefused) as denied:
        engine.advance(m, "sign_off_correction", "C2", {"opinion": "同意"})
    assert "this step needs head" in denied.value.reasons[0]
    m = step(
        engine,
        clock,
        m,
        datetime(2026, 2, 10, 10),
        "sign_off_correction",
        "H1",
        {"opinion": "同意更正"},
    )
    assert m.state == "published"
    trail = [(e.trigger, e.actor_id, e.to_state) for e in engine.history(m.id)][-3:]
    assert trail == [
        ("publish", "C1", "published"),
        ("request_correction", "C1", "correction_pending"),
        ("sign_off_correction", "H1", "published"),
    ]
    assert m.data["request_correction"]["clue_to_open"] is True


def test_cancel_before_the_inspection(bureau: Store) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 2, 2, 9))
    m = step(
        engine,
        clock,
        plan(engine),
        datetime(2026, 2, 2, 10),
        "cancel",
        "H1",
        {"reason": "企业已注销"},
    )
    assert m.state == "cancelled"
