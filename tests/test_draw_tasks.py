"""A draw's tasks become inspection matters in bulk; the directories learn from them (random
inspections this year, the last inspection's officers, requests for inspection)."""

# ruff: noqa: F811  (the fixtures `drawn` and `cli_db` come from tests.test_draws)

from __future__ import annotations

import dataclasses
import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import DEPT, OTHER_DEPT
from tests.helpers import run, run_json, sessions_where_required
from tests.test_draws import DAY, cli_db, drawn, fresh_draw, make_plan, seed_targets  # noqa: F401
from zhifa import inspections
from zhifa.audit import verify
from zhifa.engine import Engine, Opening
from zhifa.errors import (
    AuthError,
    GuardRefused,
    InputError,
    IntegrityError,
    NotFoundError,
    PermissionRefused,
    RefusedError,
)
from zhifa.store import Store
from zhifa.store.tables import DrawTask, Entity, Event, Matter, OfficerConflict
from zhifa.timekeeping import FixedClock, SystemClock

CREATED = datetime(2026, 5, 25, 9, 0)  # a Monday, before the plan's inspection date
ON_SITE = datetime(2026, 6, 1, 9, 30)


def engine_at(store: Store, at: datetime = CREATED) -> tuple[Engine, FixedClock]:
    clock = FixedClock(at)
    return Engine(store, clock=clock, sessions=sessions_where_required(store)), clock


def count(store: Store, model: Any) -> int:
    with store.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def visits(store: Store, draw_id: int) -> list[list[Any]]:
    rows: list[list[Any]] = inspections.get_draw(store, draw_id).record["visits"]["rows"]
    return rows


def test_every_task_of_a_draw_becomes_an_inspection_matter(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    engine, _ = engine_at(store)
    rows = visits(store, draw_id)
    created = inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    assert len(created.matters) == len(rows) == created.visits > 0
    assert created.by_department == {DEPT: len(rows)}
    with store.read() as session:
        tasks = session.execute(sa.select(DrawTask).order_by(DrawTask.visit)).scalars().all()
        assert [(t.visit, t.entity_id, t.department_code, t.year) for t in tasks] == [
            (n, row[0], DEPT, 2026) for n, row in enumerate(rows, 1)
        ]
    for matter_id, (entity, _depts, team) in zip(created.matters, rows, strict=True):
        view = engine.load(matter_id)
        assert (view.workflow, view.state, view.entity_id, view.department) == (
            "inspection",
            "planned",
            entity,
            DEPT,
        )
        opened = view.data["open"]
        assert opened["source"] == "random_draw" and opened["draw"] == str(draw_id)
        assert opened["team"] == team and opened["visit"].startswith(f"{draw_id}-")
        assert opened["checklist"].startswith("SP-02: ")  # the item's name from the checklist
        (event,) = engine.history(matter_id)
        assert event.actor_id == "H1" and event.occurred_at == CREATED
        assert event.data["_matter"]["department"] == DEPT
    assert verify(store).intact  # bulk-written events chain and hash like any other


def test_a_draw_creates_its_tasks_once(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    engine, _ = engine_at(store)
    first = inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    with pytest.raises(RefusedError, match=r"already created its \d+ tasks"):
        inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    assert count(store, Matter) == len(first.matters)


@pytest.mark.parametrize(
    ("by", "error", "message"),
    [
        ({}, InputError, f"no officer named to open the tasks of {DEPT}"),
        ({DEPT: "H1", OTHER_DEPT: "X1"}, InputError, f"department {OTHER_DEPT} is not in plan"),
        ({DEPT: "X1"}, PermissionRefused, "matter 1 of .* to open: .* may not open"),
        ({DEPT: "C3"}, PermissionRefused, "may not open"),  # certificate expired in March
        # an unknown id: on SQLite no such officer; on PostgreSQL no session for it either
        ({DEPT: "NOBODY"}, (NotFoundError, AuthError), "'NOBODY' does not exist|not as NOBODY"),
    ],
)
def test_wrong_openers_are_refused_and_nothing_is_written(
    drawn: tuple[Store, int],
    by: dict[str, str],
    error: type[Exception] | tuple[type[Exception], ...],
    message: str,
) -> None:
    store, draw_id = drawn
    engine, _ = engine_at(store)
    before = count(store, Event)
    with pytest.raises(error, match=message):
        inspections.create_tasks(engine, draw_id, by)
    assert (count(store, Matter), count(store, Event), count(store, DrawTask)) == (0, before, 0)


def test_a_tampered_draw_creates_no_task(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    with store.write() as session:
        raw = session.execute(sa.text("SELECT record FROM draws")).scalar_one()
        record = json.loads(raw)
        record["visits"]["rows"][0][2] = ["C1", "I3"]  # a friendlier team
        session.execute(sa.text("UPDATE draws SET record = :r"), {"r": json.dumps(record)})
    engine, _ = engine_at(store)
    with pytest.raises(IntegrityError, match=f"draw {draw_id} does not verify"):
        inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    assert count(store, Matter) == 0


def _first_task(store: Store, draw_id: int) -> tuple[Engine, FixedClock, int, list[str]]:
    engine, clock = engine_at(store)
    created = inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    team = visits(store, draw_id)[0][2]
    return engine, clock, created.matters[0], team


def test_the_head_assigns_the_team_drawn_and_only_a_withdrawn_inspector_is_replaced(
    drawn: tuple[Store, int],
) -> None:
    store, draw_id = drawn
    engine, clock, matter, team = _first_task(store, draw_id)
    inspectors = ["C1", "C2", "I3"]
    outsider = next(o for o in inspectors if o not in team)
    clock.advance(hours=1)
    with pytest.raises(GuardRefused) as refused:
        engine.advance(matter, "assign", "H1", {"inspectors": [team[0], outsider]})
    assert any("was drawn for this inspection" in r for r in refused.value.reasons)
    with pytest.raises(GuardRefused) as refused:
        engine.advance(matter, "assign", "H1", {"inspectors": [*team, outsider]})
    assert any("was not drawn; only an inspector who withdrew" in r for r in refused.value.reasons)
    engine.advance(matter, "assign", "H1", {"inspectors": team})
    clock.advance(hours=1)
    engine.advance(
        matter, "recuse", team[0], {"officer": team[0], "kind": "declared", "reason": "亲属"}
    )
    clock.advance(hours=1)
    replaced = [team[1], outsider]
    assert engine.advance(matter, "assign", "H1", {"inspectors": replaced}).matter.state == (
        "assigned"
    )


def test_a_conflict_in_the_register_blocks_the_assignment(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    engine, clock, matter, team = _first_task(store, draw_id)
    entity = engine.load(matter).entity_id
    with store.write() as session:
        session.add(
            OfficerConflict(officer_id=team[0], entity_id=entity, declared_on=DAY, reason="持股")
        )
    clock.advance(hours=1)
    with pytest.raises(GuardRefused) as refused:
        engine.advance(matter, "assign", "H1", {"inspectors": team})
    assert any(
        "conflict of interest with the inspected entity (持股)" in r for r in refused.value.reasons
    )


def test_random_inspections_this_year_and_last_officers_feed_the_next_draw(
    drawn: tuple[Store, int],
) -> None:
    store, draw_id = drawn
    engine, _ = engine_at(store)
    created = inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    rows = visits(store, draw_id)
    drawn_ids = {row[0] for row in rows}
    with store.read() as session:
        this_year = inspections.target_directory(session, 2026)
        next_year = inspections.target_directory(session, 2027)
        inspectors = inspections.inspector_directory(session)
    counted = dict(zip(this_year.ids.tolist(), this_year.inspected_this_year.tolist(), strict=True))
    assert {e for e, n in counted.items() if n} == drawn_ids
    assert set(counted.values()) == {0, 1}
    assert not next_year.inspected_this_year.any()
    last = {
        (int(e), inspectors.officers[o].id)
        for e, o in zip(inspectors.last_entity, inspectors.last_officer, strict=True)
    }
    assert last == {(row[0], officer) for row in rows for officer in row[2]}
    # a cancelled task is no inspection
    first = created.matters[0]
    engine.advance(first, "cancel", "H1", {"reason": "企业已注销"})
    with store.read() as session:
        again = inspections.target_directory(session, 2026)
    assert int(again.inspected_this_year.sum()) == len(rows) - 1


def test_a_yearly_cap_keeps_an_inspected_entity_out_of_the_second_draw(
    drawn: tuple[Store, int],
) -> None:
    store, draw_id = drawn
    engine, _ = engine_at(store)
    inspections.create_tasks(engine, draw_id, {DEPT: "H1"})
    first = {row[0] for row in visits(store, draw_id)}
    plan = dataclasses.replace(
        make_plan(), yearly_cap={c: 1 for c in "ABCD"}, ratios={c: 1 for c in "ABCD"}
    )
    plan_id = inspections.create_plan(store, plan)
    inspections.publish_plan(store, plan_id)
    second = fresh_draw(store, plan_id, "2026-06-02 福彩3D 456")
    drawn_again = {row[0] for row in second.record["visits"]["rows"]}
    assert drawn_again and not drawn_again & first
    assert second.record["excluded"]["yearly_cap"] == len(first)


def test_an_exempt_class_is_drawn_only_when_it_asked(bureau: Store) -> None:
    seed_targets(bureau)
    plan = dataclasses.replace(make_plan(), exempt=frozenset("A"), ratios={c: 1 for c in "ABCD"})
    with bureau.read() as session:
        class_a = session.scalars(
            sa.select(Entity.id).where(Entity.credit_class == "A").order_by(Entity.id)
        ).all()
    asked = class_a[0]
    inspections.request_inspection(bureau, asked, 2026, date(2026, 3, 1), "申请上门指导")
    inspections.request_inspection(bureau, class_a[1], 2027, date(2026, 3, 1))  # another year
    plan_id = inspections.create_plan(bureau, plan)
    inspections.publish_plan(bureau, plan_id)
    info = fresh_draw(bureau, plan_id, "2026-05-30 福彩3D 123")
    picked = {row[0] for row in info.record["visits"]["rows"]}
    assert asked in picked
    assert not set(class_a[1:]) & picked
    assert inspections.inspection_requests(bureau, 2026) == [
        ("E00000000000000000", "食品厂0", date(2026, 3, 1), "申请上门指导")
    ]


@pytest.mark.parametrize(
    ("year", "on", "message"),
    [(26, date(2026, 1, 1), "four digits"), (2025, date(2026, 1, 1), "earlier year 2025")],
)
def test_a_request_for_a_bad_year_is_refused(
    bureau: Store, year: int, on: date, message: str
) -> None:
    seed_targets(bureau, 4)
    with pytest.raises(InputError, match=message):
        inspections.request_inspection(bureau, 2, year, on)


def test_open_many_reports_the_first_bad_opening_and_writes_nothing(bureau: Store) -> None:
    engine, _ = engine_at(bureau)
    with bureau.read() as session:
        entity = session.scalar(sa.select(Entity.id))
    good = {"source": "targeted", "summary": "重点检查", "checklist": "A1: 食品贮存条件"}
    openings = [
        Opening("H1", good, entity),
        Opening("H1", {**good, "checklist": "食品贮存条件"}, entity),
    ]
    with pytest.raises(GuardRefused, match="matter 2 of 2 to open"):
        engine.open_many("inspection", openings)
    with pytest.raises(NotFoundError, match="no market entity with id 999999"):
        engine.open_many("inspection", [Opening("H1", good, 999999)])
    assert count(bureau, Matter) == 0
    ids = engine.open_many("inspection", [Opening("H1", good, entity)] * 3)
    assert len(ids) == 3 and verify(bureau).intact
    # the same opening event as a single open writes
    with bureau.read() as session:
        code = session.scalar(sa.select(Entity.uscc).where(Entity.id == entity))
    single = engine.open("inspection", "H1", good, entity=code).event
    bulk = engine.history(ids[0])[0]
    assert (bulk.data, bulk.to_state, bulk.trigger) == (
        single.data,
        single.to_state,
        single.trigger,
    )


def test_a_violation_found_owes_a_clue_until_one_follows(drawn: tuple[Store, int]) -> None:
    store, draw_id = drawn
    engine, clock, matter, team = _first_task(store, draw_id)
    clock.set(ON_SITE)
    engine.advance(matter, "assign", "H1", {"inspectors": team})
    engine.advance(matter, "start", team[0], {"present": team})
    clock.advance(hours=2)
    result = engine.advance(
        matter,
        "record_result",
        team[0],
        {
            "results": "SP-02: violation 使用过期原料",
            "clue_to_open": True,
            "clue_summary": "涉嫌使用超过保质期的食品原料",
        },
    )
    assert [(c.spec.name, c.due_on) for c in result.clocks] == [("publication", date(2026, 6, 30))]
    owed = [d for d in engine.expected(matter) if d.follow_up == "clue"]
    assert owed and owed[0].clock.due_on == date(2026, 6, 23)  # 15 working days; 19 June 端午
    clue = engine.open(
        "clue",
        team[0],
        {"source": "inspection", "summary": "涉嫌使用超过保质期的食品原料"},
        follows=matter,
    ).matter
    assert clue.entity_id == engine.load(matter).entity_id
    assert not [d for d in engine.expected(matter) if d.follow_up == "clue"]


# -- CLI -------------------------------------------------------------------------------------------


def test_cli_draw_tasks_and_requests(capsys: pytest.CaptureFixture[str], cli_db: str) -> None:
    for args in (
        ("plan", "create", "--year", "2026", "--lead", DEPT, "--item", "SP-02",
         "--inspection-date", "2026-06-01"),
        ("plan", "publish", "1"),
        ("snapshot", "take"),
    ):  # fmt: skip
        code, _, err = run(capsys, *args, "--db", cli_db)
        assert code == 0, err
    published = (SystemClock().now() + timedelta(seconds=1)).isoformat(timespec="seconds")
    time.sleep(1.1)
    code, _, err = run(
        capsys, "draw", "run", "1", "--public-value", "2026-05-30 福彩3D 123", "--targets", "1",
        "--inspectors", "2", "--value-published-at", published, "--db", cli_db,
    )  # fmt: skip
    assert code == 0, err
    code, _, err = run(capsys, "draw", "tasks", "1", "--by", "HZXH", "--db", cli_db)
    assert code == 2 and "must be written DEPT=OFFICER" in err
    created = run_json(capsys, "draw", "tasks", "1", "--by", f"{DEPT}=H1", "--db", cli_db)
    assert created["tasks"] == created["visits"] == len(created["matters"]) > 0
    code, _, err = run(capsys, "draw", "tasks", "1", "--by", f"{DEPT}=H1", "--db", cli_db)
    assert code == 1 and "already created" in err
    recorded = run_json(
        capsys, "plan", "request-inspection", "2", "--year", "2027",
        "--on", "2026-11-02", "--note", "申请检查", "--db", cli_db,
    )  # fmt: skip
    assert recorded["year"] == 2027 and recorded["requested_on"] == "2026-11-02"
    listed = run_json(capsys, "plan", "requests", "--year", "2027", "--db", cli_db)
    assert [r["entity"] for r in listed] == ["E00000000000000000"]  # entity 2
    code, _, err = run(
        capsys, "plan", "request-inspection", "2", "--year", "2027",
        "--on", "2 Nov", "--db", cli_db,
    )  # fmt: skip
    assert code == 2 and "not a date" in err


def test_a_joint_visit_is_one_task_per_department_with_one_team(bureau: Store) -> None:
    from tests.conftest import CERT_FROM, CERT_TO
    from zhifa.inspections import PlanItem
    from zhifa.plugins import Plugins
    from zhifa.store.tables import Officer

    seed_targets(bureau, 12)
    with bureau.write() as session:
        session.add(
            Officer(
                id="Y1",
                name="食药检查员",
                department_code=OTHER_DEPT,
                roles="inspector",
                certificate_no="ZF-Y1",
                certificate_valid_from=CERT_FROM,
                certificate_valid_to=CERT_TO,
            )
        )
    other = next(
        item
        for code, item in sorted(Plugins().checklists().items())
        if code != "SP-02" and item.scope == "food_production"
    )
    plan = dataclasses.replace(
        make_plan(),
        participating=(OTHER_DEPT,),
        items=(*make_plan().items, PlanItem.from_checklist(other, department=OTHER_DEPT)),
    )
    plan_id = inspections.create_plan(bureau, plan)
    inspections.publish_plan(bureau, plan_id)
    info = fresh_draw(bureau, plan_id, "2026-05-30 福彩3D 123")
    engine, _ = engine_at(bureau)
    created = inspections.create_tasks(engine, info.id, {DEPT: "H1", OTHER_DEPT: "X1"})
    rows = info.record["visits"]["rows"]
    assert len(created.matters) == 2 * len(rows) and created.visits == len(rows)
    assert created.by_department == {DEPT: len(rows), OTHER_DEPT: len(rows)}
    by_visit: dict[str, list[Any]] = {}
    for matter in created.matters:
        view = engine.load(matter)
        by_visit.setdefault(view.data["open"]["visit"], []).append(view)
    for tasks in by_visit.values():
        assert sorted(v.department for v in tasks) == sorted([DEPT, OTHER_DEPT])
        assert len({v.entity_id for v in tasks}) == 1
        teams = {tuple(v.data["open"]["team"]) for v in tasks}
        assert len(teams) == 1 and "Y1" in next(iter(teams))  # one team, from both departments
        checklists = {v.department: v.data["open"]["checklist"] for v in tasks}
        assert checklists[OTHER_DEPT].startswith(f"{other.code}: ")
    with bureau.read() as session:
        counted = inspections.target_directory(session, 2026).inspected_this_year
    assert int(counted.sum()) == len(rows)  # a joint visit is one inspection


def test_cli_plan_import_and_update_carry_the_bureaus_rules(
    capsys: pytest.CaptureFixture[str], cli_db: str, tmp_path: Path
) -> None:
    exported = tmp_path / "plan.json"
    created = run_json(
        capsys, "plan", "create", "--year", "2026", "--lead", DEPT, "--item", "SP-02",
        "--inspection-date", "2026-06-01", "--file", str(exported), "--db", cli_db,
    )  # fmt: skip
    rules = json.loads(exported.read_text("utf-8"))
    rules["ratios"] = {"A": "0.01", "B": "0.04", "C": "0.2", "D": "1"}
    rules["yearly_cap"] = {"A": 1, "B": 1}
    edited = tmp_path / "细则.json"
    edited.write_text(json.dumps(rules, ensure_ascii=False), "utf-8")
    imported = run_json(capsys, "plan", "import", str(edited), "--db", cli_db)
    assert imported["plan"]["ratios"] == rules["ratios"] and imported["status"] == "draft"
    assert imported["digest"] != created["digest"]
    updated = run_json(capsys, "plan", "update", str(created["id"]), str(edited), "--db", cli_db)
    assert updated["digest"] == imported["digest"]
    run(capsys, "plan", "publish", str(created["id"]), "--db", cli_db)
    code, _, err = run(capsys, "plan", "update", str(created["id"]), str(edited), "--db", cli_db)
    assert code == 1 and "frozen" in err
    rules["participating"] = ["NOPE"]
    rules["items"].append({**rules["items"][0], "code": "SP-03", "department": "NOPE"})
    edited.write_text(json.dumps(rules), "utf-8")
    code, _, err = run(capsys, "plan", "import", str(edited), "--db", cli_db)
    assert code == 2 and "names department NOPE" in err
    edited.write_text("{not json", "utf-8")
    code, _, err = run(capsys, "plan", "import", str(edited), "--db", cli_db)
    assert code == 2 and "is not a JSON plan" in err
    store = Store(cli_db)
    with store.read() as session:
        assert session.scalar(sa.text("SELECT count(*) FROM plans")) == 2
    store.dispose()
