"""Publishing random inspections (一公开): zhifa draw export, plan export, snapshot list|export."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import CERT_FROM, CERT_TO, DEPT, OTHER_DEPT, seed_bureau
from tests.helpers import drawer, run, run_json, sessions_where_required
from tests.test_draws import ITEM, make_plan, seed_targets
from zhifa import inspections
from zhifa.engine import Engine
from zhifa.hooks.types import MatterView
from zhifa.inspections import Plan, PlanItem, publishing
from zhifa.plugins import Plugins
from zhifa.procedure.inspection import RESULTS
from zhifa.store import Store
from zhifa.store.tables import HISTORY_START, Officer, OfficerVersion
from zhifa.timekeeping import FixedClock

PUBLIC_VALUE = "2026-05-30 福彩3D 123"
RESULT_HEADER = list(inspections.RESULT_COLUMNS)


@dataclass
class Drawn:
    """A drawn plan whose tasks were created: the database, the ids, the engine and clock."""

    url: str
    store: Store
    engine: Engine
    clock: FixedClock
    plan_id: int
    draw_id: int
    snapshots: tuple[int, int]
    matters: tuple[int, ...]

    def walk(self, matter_id: int, *steps: tuple[datetime, str, str, dict[str, Any]]) -> None:
        """Take ``steps`` (when, trigger, actor, data) on a task; ``TEAM`` as the actor or in
        a value stands for the task's first drawn inspector or the team drawn."""
        matter = self.engine.load(matter_id)
        for at, trigger, actor, data in steps:
            self.clock.set(at)
            matter = self.engine.advance(matter, trigger, self._who(matter, actor), data).matter

    def team(self, matter_id: int) -> list[str]:
        team: list[str] = self.engine.load(matter_id).data["open"]["team"]
        return team

    @staticmethod
    def _who(matter: MatterView, actor: str) -> str:
        return str(matter.data["open"]["team"][0]) if actor == "TEAM" else actor


def _drawn(
    store: Store,
    url: str = "",
    *,
    prepare: Callable[[Store], None] | None = None,
    plan: Plan | None = None,
) -> Drawn:
    """Targets, a published plan drawn on fresh snapshots and its tasks, on a seeded bureau:
    the plan published and the snapshots taken at 9:00, the public value published at 9:01, the
    draw run at 9:02. ``prepare`` changes the directory before the snapshots; ``plan`` is
    the plan drawn (default :func:`make_plan`)."""
    seed_targets(store)
    if prepare is not None:
        prepare(store)
    clock = FixedClock(datetime(2026, 5, 30, 9))
    plan_id = inspections.create_plan(store, plan or make_plan(), clock)
    inspections.publish_plan(store, plan_id, clock)
    snapshots = inspections.take_snapshots(store, clock, year=2026)
    published = clock.advance(minutes=1)
    clock.advance(minutes=1)
    info = inspections.run_draw(
        store,
        plan_id,
        PUBLIC_VALUE,
        *snapshots,
        value_published_at=published,
        clock=clock,
        by=drawer(store),
    )
    engine = Engine(store, clock=clock, sessions=sessions_where_required(store))
    created = inspections.create_tasks(engine, info.id, {DEPT: "H1"})
    return Drawn(url, store, engine, clock, plan_id, info.id, snapshots, created.matters)


@pytest.fixture
def drawn(sqlite_url: str) -> Iterator[Drawn]:
    store = Store(sqlite_url)
    seed_bureau(store)
    yield _drawn(store, sqlite_url)
    store.dispose()


def _inspect(d: Drawn, matter_id: int, results: str, **extra: Any) -> None:
    """Assign the drawn team, inspect on 2026-06-01 and record ``results`` (and ``extra``)."""
    team = d.team(matter_id)
    d.walk(
        matter_id,
        (datetime(2026, 6, 1, 8), "assign", "H1", {"inspectors": team}),
        (datetime(2026, 6, 1, 9), "start", "TEAM", {"present": team}),
        (datetime(2026, 6, 1, 11), "record_result", "TEAM", {"results": results, **extra}),
    )


def _sheet(path: Path, name: str) -> list[tuple[Any, ...]]:
    book = load_workbook(path)
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def _info(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str], tuple[Any, Any]]:
    """A 类别/项目/内容/说明 sheet as (类别, 项目) → (内容, 说明); later rows of a key win."""
    assert list(rows[0]) == list(publishing.INFO_COLUMNS)
    return {(row[0], row[1]): (row[2], row[3]) for row in rows[1:]}


def _results(rows: list[tuple[Any, ...]]) -> dict[int, dict[str, Any]]:
    """The 抽查结果 rows by task (matter) id, as header → value."""
    assert list(rows[0]) == RESULT_HEADER
    return {row[1]: dict(zip(RESULT_HEADER, row, strict=True)) for row in rows[1:]}


# -- zhifa draw export -----------------------------------------------------------------------------


def test_draw_export_xlsx_publishes_plan_process_and_only_published_results(
    capsys: pytest.CaptureFixture[str], drawn: Drawn, tmp_path: Path
) -> None:
    d = drawn
    published, recorded, *untouched = d.matters
    _inspect(d, published, f"{ITEM}: rectified 当场补齐进货台账")
    d.walk(published, (datetime(2026, 6, 2, 10), "publish", "TEAM", {"text": "已当场整改"}))
    _inspect(  # recorded, not published
        d, recorded, f"{ITEM}: violation 销售过期食品", clue_to_open=True, clue_summary="过期食品"
    )
    out = tmp_path / "draw.xlsx"
    payload = run_json(capsys, "draw", "export", str(d.draw_id), str(out), "--db", d.url)
    assert payload["files"] == [str(out)] and payload["format"] == "xlsx"
    assert payload["rows"]["抽查结果"] == len(d.matters)
    book = load_workbook(out, read_only=True)
    assert book.sheetnames == ["抽查计划", "抽查过程", "抽查结果"]
    book.close()

    plan = _info(_sheet(out, "抽查计划"))
    info = inspections.get_plan(d.store, d.plan_id)
    assert plan[("计划", "年度")][0] == 2026
    assert plan[("计划", "状态")][0] == "已公布"
    assert plan[("计划", "检查日期")][0] == "2026-06-01"
    assert plan[("计划", "计划摘要（SHA-256）")][0] == info.digest
    assert plan[("计划", "公布日期")][0] == "2026-05-30"
    assert plan[("部门", "牵头部门")] == ("西湖区市场监管局", DEPT)
    item, notes = plan[("检查事项", ITEM)]
    assert item and "一般项目" in notes and "西湖区市场监管局" in notes
    assert plan[("抽查比例", "D 类")][0].endswith("%")

    process = _info(_sheet(out, "抽查过程"))
    record = inspections.get_draw(d.store, d.draw_id)
    assert process[("抽查", "公开随机数")][0] == PUBLIC_VALUE
    assert process[("抽查", "随机种子")][0] == record.seed
    assert process[("检查对象名录", "快照编号")][0] == d.snapshots[0]
    assert process[("检查对象名录", "摘要（SHA-256）")][0] == record.record["targets_digest"]
    assert process[("执法检查人员名录", "摘要（SHA-256）")][0] == record.record["inspectors_digest"]
    assert process[("检查对象名录", "冻结时间")][0] == "2026-05-30 09:00:00"
    assert process[("名录", "检查对象总数")][0] == record.record["directory"]
    assert process[("排除", "不在抽查范围")][0] == record.record["excluded"]["population"]
    assert process[("核验", "核验方法")][0] == f"zhifa draw verify {d.draw_id}"
    strata = [k for k in process if k[0] == "分层抽取"]
    assert len(strata) == len(record.record["strata"])
    first = record.record["strata"][0]
    assert process[strata[0]][0] == f"{first['eligible']} 户中抽取 {first['drawn']} 户"
    assert process[("结果", "检查任务数")][0] == len(d.matters)

    rows = _results(_sheet(out, "抽查结果"))
    assert set(rows) == set(d.matters)
    done = rows[published]
    assert done["检查日期"] == "2026-06-01"
    assert done["检查结果（逐项）"] == f"{ITEM}：发现问题，已当场整改"
    assert done["检查结论"] == "发现问题，已当场整改"
    assert done["公示状态"] == "已公示"
    assert (done["公示日期"], done["是否按期公示"]) == ("2026-06-02", "按期公示")
    assert done["更正说明"] is None
    assert done["统一社会信用代码"].startswith("E") and done["市场主体名称"].startswith("食品厂")
    assert done["检查部门"] == "西湖区市场监管局"
    assert done["检查事项"].startswith(f"{ITEM} ")
    team = d.team(published)
    assert done["执法证号"] == "、".join(f"ZF-{oid}" for oid in team)
    assert len(done["检查人员"].split("、")) == len(team)
    hidden = rows[recorded]  # results recorded but not published: nothing of them shows
    assert hidden["公示状态"] == "未公示（已记录检查结果）"
    for column in ("检查结果（逐项）", "检查结论", "公示日期", "是否按期公示", "更正说明"):
        assert hidden[column] is None, column
    assert hidden["检查日期"] == "2026-06-01"
    for matter in untouched:
        assert rows[matter]["公示状态"] == "未公示（已计划）"
        assert rows[matter]["检查结果（逐项）"] is None
        assert rows[matter]["检查日期"] is None
        # the team drawn stays undisclosed until it is on site
        assert (rows[matter]["检查人员"], rows[matter]["执法证号"]) == (None, None)
    visits = sorted(row["联合检查编号"] for row in rows.values())
    assert visits == list(range(1, len(d.matters) + 1))  # one department: one task a visit


def test_draw_export_csv_writes_three_files_with_bom(
    capsys: pytest.CaptureFixture[str], drawn: Drawn, tmp_path: Path
) -> None:
    d = drawn
    out = tmp_path / "一公开.csv"
    payload = run_json(capsys, "draw", "export", str(d.draw_id), str(out), "--db", d.url)
    names = ["一公开-plan.csv", "一公开-draw.csv", "一公开-results.csv"]
    assert payload["files"] == [str(tmp_path / n) for n in names]
    assert not out.exists()
    for name in names:
        raw = (tmp_path / name).read_bytes()
        assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    with (tmp_path / "一公开-results.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == RESULT_HEADER
    assert len(rows) == 1 + len(d.matters)
    assert all(row[RESULT_HEADER.index("公示状态")] == "未公示（已计划）" for row in rows[1:])
    text = (tmp_path / "一公开-draw.csv").read_text("utf-8-sig")
    assert PUBLIC_VALUE in text and f"zhifa draw verify {d.draw_id}" in text


def test_late_publication_and_corrections(drawn: Drawn, tmp_path: Path) -> None:
    d = drawn
    late, corrected, pending, *_ = d.matters
    for matter in (late, corrected, pending):
        _inspect(d, matter, f"{ITEM}: pass")
    d.walk(
        late,
        (
            datetime(2026, 8, 3, 9),
            "publish_late",
            "H1",
            {"text": "未发现问题", "late_reason": "系统故障"},
        ),
    )
    correction = {"results": f"{ITEM}: rectified 复核录像补正", "reason": "复核录像发现记录错误"}
    for matter in (corrected, pending):
        d.walk(
            matter,
            (datetime(2026, 6, 3, 9), "publish", "TEAM", {"text": "未发现问题"}),
            (datetime(2026, 6, 4, 9), "request_correction", "TEAM", correction),
        )
    d.walk(corrected, (datetime(2026, 6, 5, 9), "sign_off_correction", "H1", {"opinion": "同意"}))
    result = inspections.export_draw(d.engine, d.draw_id, tmp_path / "out.xlsx")
    assert result.rows["抽查结果"] == len(d.matters)
    rows = _results(_sheet(tmp_path / "out.xlsx", "抽查结果"))
    assert (rows[late]["公示日期"], rows[late]["是否按期公示"]) == ("2026-08-03", "逾期公示")
    assert rows[late]["检查结论"] == "未发现问题"
    fixed = rows[corrected]
    assert fixed["检查结果（逐项）"] == f"{ITEM}：发现问题，已当场整改"
    assert fixed["更正说明"] == "2026-06-05 经负责人签批更正：复核录像发现记录错误"
    assert fixed["公示状态"] == "已公示"
    waiting = rows[pending]  # a correction awaiting sign-off changes nothing yet
    assert waiting["检查结论"] == "未发现问题" and waiting["更正说明"] is None
    assert waiting["公示状态"] == "已公示（更正待负责人签批）"


def test_draw_export_on_both_databases(bureau: Store, tmp_path: Path) -> None:
    """The bulk reads (tasks, streamed events, officers) on SQLite and PostgreSQL."""
    d = _drawn(bureau)
    first = d.matters[0]
    _inspect(d, first, f"{ITEM}: pass")
    d.walk(first, (datetime(2026, 6, 2, 10), "publish", "TEAM", {"text": "未发现问题"}))
    inspections.export_draw(d.engine, d.draw_id, tmp_path / "out.xlsx")
    rows = _results(_sheet(tmp_path / "out.xlsx", "抽查结果"))
    assert rows[first]["检查结论"] == "未发现问题"
    assert len(rows) == len(d.matters)


def test_names_and_certificates_as_of_the_inspection(drawn: Drawn, tmp_path: Path) -> None:
    d = drawn
    first = d.matters[0]
    _inspect(d, first, f"{ITEM}: pass")
    d.walk(first, (datetime(2026, 6, 2, 10), "publish", "TEAM", {"text": "未发现问题"}))
    oid = d.team(first)[0]
    with d.store.write() as session:  # the officer's record before and after the inspection
        for at, name, cert in (
            (HISTORY_START, "旧名", "ZF-2024"),
            (datetime(2026, 7, 1), "新名", "ZF-2026"),
        ):
            session.add(
                OfficerVersion(
                    officer_id=oid,
                    name=name,
                    department_code=DEPT,
                    roles="inspector",
                    certificate_no=cert,
                    certificate_valid_from=CERT_FROM,
                    certificate_valid_to=CERT_TO,
                    valid_from=at,
                    recorded_by="test",
                )
            )
    inspections.export_draw(d.engine, d.draw_id, tmp_path / "out.xlsx")
    row = _results(_sheet(tmp_path / "out.xlsx", "抽查结果"))[first]
    assert row["检查人员"].split("、")[0] == "旧名"
    assert row["执法证号"].split("、")[0] == "ZF-2024"


def test_joint_visits_share_their_visit_number(db: str, tmp_path: Path) -> None:
    """A plan of two departments: each drawn entity has one task per department, one visit."""
    store = Store(db)
    seed_targets(store)
    with store.write() as session:
        for oid in ("X2", "X3"):
            session.add(
                Officer(
                    id=oid,
                    name=f"上城{oid}",
                    department_code=OTHER_DEPT,
                    roles="inspector",
                    certificate_no=f"ZF-{oid}",
                    certificate_valid_from=CERT_FROM,
                    certificate_valid_to=CERT_TO,
                )
            )
    catalogue = Plugins().checklists()
    plan = Plan.from_policy(
        Plugins().sampling_policy(DEPT),
        year=2026,
        lead_department=DEPT,
        items=[
            PlanItem.from_checklist(catalogue[ITEM]),
            PlanItem.from_checklist(catalogue["SP-06"], department=OTHER_DEPT),
        ],
        inspection_date=datetime(2026, 6, 1).date(),
        participating=(OTHER_DEPT,),
    )
    clock = FixedClock(datetime(2026, 5, 30, 9))
    plan_id = inspections.create_plan(store, plan, clock)
    inspections.publish_plan(store, plan_id, clock)
    snapshots = inspections.take_snapshots(store, clock, year=2026)
    published = clock.advance(minutes=1)
    clock.advance(minutes=1)
    info = inspections.run_draw(
        store,
        plan_id,
        PUBLIC_VALUE,
        *snapshots,
        value_published_at=published,
        clock=clock,
        by=drawer(store),
    )
    engine = Engine(store, clock=clock, sessions=sessions_where_required(store))
    created = inspections.create_tasks(engine, info.id, {DEPT: "H1", OTHER_DEPT: "X1"})
    inspections.export_draw(engine, info.id, tmp_path / "joint.xlsx")
    store.dispose()
    rows = list(_results(_sheet(tmp_path / "joint.xlsx", "抽查结果")).values())
    assert len(rows) == len(created.matters) == 2 * created.visits
    by_visit: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_visit.setdefault(row["联合检查编号"], []).append(row)
    assert len(by_visit) == created.visits
    for visit in by_visit.values():
        assert [r["检查部门"] for r in visit] == ["上城区市场监管局", "西湖区市场监管局"]
        assert len({r["统一社会信用代码"] for r in visit}) == 1
        assert len({r["检查人员"] for r in visit}) == 1  # one team for the visit
    plan_rows = _info(_sheet(tmp_path / "joint.xlsx", "抽查计划"))
    assert plan_rows[("部门", "参与部门")] == ("上城区市场监管局", OTHER_DEPT)


def test_text_is_never_a_formula(drawn: Drawn, tmp_path: Path) -> None:
    d = drawn
    with d.store.write() as session:
        session.execute(sa.text("UPDATE entities SET name = '=HYPERLINK(\"x\")'"))
    inspections.export_draw(d.engine, d.draw_id, tmp_path / "out.xlsx")
    book = load_workbook(tmp_path / "out.xlsx")
    cells = [row[2] for row in book["抽查结果"].iter_rows(min_row=2)]
    assert cells and all(c.value == '=HYPERLINK("x")' and c.data_type == "s" for c in cells)
    inspections.export_draw(d.engine, d.draw_id, tmp_path / "out.csv")
    text = (tmp_path / "out-results.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK" in text


@pytest.mark.parametrize("name", ["out.xlsx", "out.csv"])
def test_a_failed_export_leaves_no_file(
    drawn: Drawn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    def broken(*_args: Any) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(publishing.task_results, "_items", broken)  # fails on the first result row
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(RuntimeError, match="disk on fire"):
        inspections.export_draw(drawn.engine, drawn.draw_id, folder / name)
    assert list(folder.iterdir()) == []


# -- zhifa plan export -----------------------------------------------------------------------------


def test_plan_export_before_the_draw(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    created = run_json(
        capsys, "plan", "create", "--year", "2026", "--lead", DEPT, "--item", ITEM,
        "--inspection-date", "2026-06-01", "--db", db,
    )  # fmt: skip
    out = tmp_path / "plan.xlsx"
    payload = run_json(capsys, "plan", "export", str(created["id"]), str(out), "--db", db)
    assert payload["rows"] == {"抽查计划": len(_sheet(out, "抽查计划")) - 1}
    plan = _info(_sheet(out, "抽查计划"))
    assert plan[("计划", "状态")][0] == "草稿（未公布）"
    assert plan[("计划", "公布日期")][0] is None
    assert plan[("计划", "计划摘要（SHA-256）")][0] == created["digest"]
    assert plan[("检查事项", ITEM)][0]  # the item's name from the loaded checklist
    csv_out = tmp_path / "plan.csv"
    code, out_text, _ = run(capsys, "plan", "export", str(created["id"]), str(csv_out), "--db", db)
    assert code == 0 and "wrote" in out_text
    assert csv_out.read_bytes().startswith("\ufeff".encode())


# -- zhifa snapshot list / export ------------------------------------------------------------------


def test_snapshot_list_and_export(
    capsys: pytest.CaptureFixture[str], drawn: Drawn, tmp_path: Path
) -> None:
    d = drawn
    listed = run_json(capsys, "snapshot", "list", "--db", d.url)
    assert [(s["id"], s["kind"]) for s in listed] == [
        (d.snapshots[0], "targets"),
        (d.snapshots[1], "inspectors"),
    ]
    assert (
        listed[0]["digest"] == inspections.snapshot_info(d.store, d.snapshots[0], "targets").digest
    )
    code, out, _ = run(capsys, "snapshot", "list", "--db", d.url)
    assert code == 0 and "targets" in out and listed[1]["digest"] in out

    targets = tmp_path / "targets.xlsx"
    payload = run_json(
        capsys, "snapshot", "export", str(d.snapshots[0]), str(targets), "--db", d.url
    )
    rows = _sheet(targets, "检查对象名录")
    assert payload["rows"] == {"检查对象名录": listed[0]["rows"]} == {"检查对象名录": len(rows) - 1}
    by_code = {row[1]: row for row in rows[1:]}
    first = by_code["E00000000000000001"]  # class B, high risk, registered 2020-01-01
    assert first[2:] == (
        "食品厂1", "B", "高风险", "330106", "food_production", "2020-01-01", "否", "否", 0,
    )  # fmt: skip
    assert by_code["E00000000000000000"][8] == "是"  # key supervision
    assert by_code["E00000000000000002"][4] == "未评级"

    inspectors = tmp_path / "名录.csv"
    payload = run_json(
        capsys, "snapshot", "export", str(d.snapshots[1]), str(inspectors), "--db", d.url
    )
    assert payload["files"] == [
        str(tmp_path / "名录-inspectors.csv"),
        str(tmp_path / "名录-conflicts.csv"),
    ]
    with (tmp_path / "名录-inspectors.csv").open(encoding="utf-8-sig", newline="") as handle:
        people = list(csv.reader(handle))
    assert people[0][:4] == ["人员编号", "姓名", "部门代码", "部门名称"]
    assert ["I3", "钱检查", DEPT, "西湖区市场监管局", "2024-01-01", "2027-12-31", "food",
            "330106"] in people  # fmt: skip
    with (tmp_path / "名录-conflicts.csv").open(encoding="utf-8-sig", newline="") as handle:
        links = list(csv.reader(handle))
    assert len(links) == 2 and links[1][0] == "I3" and links[1][5] == "申报利害关系（回避）"


def test_no_snapshots_listed(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert run_json(capsys, "snapshot", "list", "--db", db) == []
    code, out, _ = run(capsys, "snapshot", "list", "--db", db)
    assert code == 0 and "no snapshots yet" in out


# -- refused -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["draw", "export", "{draw}", "{dir}/out.txt"], "end the file name with .xlsx or .csv"),
        (["draw", "export", "{draw}", "{dir}/out"], "has no suffix"),
        (["draw", "export", "99", "{dir}/out.xlsx"], "there is no draw 99"),
        (["plan", "export", "99", "{dir}/out.xlsx"], "there is no plan 99"),
        (["snapshot", "export", "99", "{dir}/out.xlsx"], "there is no snapshot 99"),
        (["snapshot", "export", "{snapshot}", "{dir}/out.ods"], "end the file name"),
        (["draw", "export", "{draw}", "{dir}/missing/out.xlsx"], "does not exist"),
    ],
)
def test_bad_input_exits_2_writing_nothing(
    capsys: pytest.CaptureFixture[str],
    drawn: Drawn,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    filled = [a.format(draw=drawn.draw_id, snapshot=drawn.snapshots[0], dir=folder) for a in args]
    code, out, err = run(capsys, *filled, "--db", drawn.url)
    assert code == 2, (out, err)
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_existing_files_are_kept_without_force(
    capsys: pytest.CaptureFixture[str], drawn: Drawn, tmp_path: Path, suffix: str
) -> None:
    d = drawn
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / f"out{suffix}"
    existing = folder / "out-results.csv" if suffix == ".csv" else out
    existing.write_text("mine", "utf-8")
    code, _, err = run(capsys, "draw", "export", str(d.draw_id), str(out), "--db", d.url)
    assert code == 2 and "exists already" in err and "--force" in err
    assert existing.read_text("utf-8") == "mine"
    assert [p.name for p in folder.iterdir()] == [existing.name]
    code, _, err = run(capsys, "draw", "export", str(d.draw_id), str(out), "--force", "--db", d.url)
    assert code == 0, err
    assert existing.read_bytes().startswith(b"PK" if suffix == ".xlsx" else "\ufeff".encode())
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_altered_snapshot_exits_1_writing_nothing(
    capsys: pytest.CaptureFixture[str], drawn: Drawn, tmp_path: Path
) -> None:
    d = drawn
    with d.store.write() as session:  # the inspector snapshot's content under the target's id
        content = session.execute(
            sa.text("SELECT content FROM snapshots WHERE id = :i"), {"i": d.snapshots[1]}
        ).scalar_one()
        session.execute(
            sa.text("UPDATE snapshots SET content = :c WHERE id = :i"),
            {"c": content, "i": d.snapshots[0]},
        )
    out = tmp_path / "targets.xlsx"
    code, _, err = run(capsys, "snapshot", "export", str(d.snapshots[0]), str(out), "--db", d.url)
    assert code == 1, err
    assert "no longer matches its stored digest" in err and "Traceback" not in err
    assert list(tmp_path.glob("targets*")) == [] and not list(tmp_path.glob(".targets*"))


# -- wording -------------------------------------------------------------------------------------


def test_every_result_code_has_its_published_wording() -> None:
    assert set(inspections.ITEM_RESULTS) == set(RESULTS)
    assert inspections.item_result("pass") == "未发现问题"
    assert inspections.item_result("violation").startswith("发现问题，涉嫌违法")


@pytest.mark.parametrize(
    ("results", "overall"),
    [
        ("A1: pass\nA2: not_applicable", "未发现问题"),
        ("A1: not_applicable", publishing.NOTHING_TO_CHECK),
        ("A1: pass\nA2: rectified x\nA3: rectify y", "发现问题，已责令限期整改"),
        ("A1: rectify y\nA2: violation z", "发现问题，涉嫌违法，待后续处理"),
        ("A1: not_found", "通过登记的住所（经营场所）无法联系"),
        ("", ""),
    ],
)
def test_overall_result_is_the_gravest(results: str, overall: str) -> None:
    assert inspections.verdict(results)[1] == overall


def test_stratum_labels_in_chinese() -> None:
    assert inspections.stratum_label("B/high/key") == "B 类 / 高风险 / 重点监管"
    assert inspections.stratum_label("C/new") == "C 类 / 新设主体"
    assert inspections.stratum_label("A/unrated") == "A 类 / 未评级"
