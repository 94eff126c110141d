"""The publicity export (zhifa draw export) of a plan drawn again: 抽查过程 lists every draw of the
plan in order, the replaced draw marked 已作废, the redraw with what it replaces, its reason and
the head who approved it; 抽查结果 comes from the draw exported, and only the current draw has
tasks. A plan drawn once exports as before, with the time its public value was published."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import DEPT, seed_bureau
from tests.helpers import drawer, run_json, sessions_where_required
from tests.test_draw_publicity import PUBLIC_VALUE, _drawn, _info, _results, _sheet
from tests.test_draws import make_plan, seed_targets
from zhifa import inspections
from zhifa.engine import Engine
from zhifa.inspections import DrawInfo
from zhifa.store import Store
from zhifa.timekeeping import FixedClock

VALUE_2 = "2026-05-31 福彩3D 456"
REASON = "抽取时误用了上一期开奖号码"
HEAD = "陈局长"  # H1 of the seeded bureau, the lead department's head


@dataclass
class Redrawn:
    """A plan drawn at 9:02 and redrawn at 2026-05-31 9:05; the redraw's tasks created."""

    url: str
    store: Store
    engine: Engine
    first: DrawInfo
    second: DrawInfo
    matters: tuple[int, ...]


def _redrawn(store: Store, url: str, reason: str = REASON) -> Redrawn:
    seed_targets(store)
    clock = FixedClock(datetime(2026, 5, 30, 9))
    plan_id = inspections.create_plan(store, make_plan(), clock)
    inspections.publish_plan(store, plan_id, clock)
    snapshots = inspections.take_snapshots(store, clock, year=2026)
    published = clock.advance(minutes=1)
    clock.advance(minutes=1)
    first = inspections.run_draw(
        store,
        plan_id,
        PUBLIC_VALUE,
        *snapshots,
        value_published_at=published,
        clock=clock,
        by=drawer(store),
    )
    clock.set(datetime(2026, 5, 31, 9, 5))
    second = inspections.redraw(
        store,
        plan_id,
        VALUE_2,
        reason=reason,
        approved_by="H1",
        value_published_at=datetime(2026, 5, 31, 9),
        clock=clock,
        by=drawer(store),
    )
    engine = Engine(store, clock=clock, sessions=sessions_where_required(store))
    created = inspections.create_tasks(engine, second.id, {DEPT: "H1"})
    return Redrawn(
        url, store, engine, inspections.get_draw(store, first.id), second, created.matters
    )


@pytest.fixture
def seeded(db_url: str) -> Iterator[tuple[Store, str]]:
    """The seeded bureau on SQLite, then on PostgreSQL, with its URL."""
    store = Store(db_url)
    seed_bureau(store)
    yield store, db_url
    store.dispose()


@pytest.fixture
def redrawn(seeded: tuple[Store, str]) -> Redrawn:
    return _redrawn(*seeded)


def _csv(path: Path) -> list[tuple[Any, ...]]:
    """A CSV file as rows, numbers read back as numbers (like the .xlsx), empty cells as None."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            tuple(int(c) if c.isdigit() else (c or None) for c in row) for row in csv.reader(handle)
        ]


# -- a plan drawn once -----------------------------------------------------------------------------


def test_a_plan_drawn_once_exports_its_draw_alone(
    seeded: tuple[Store, str], tmp_path: Path
) -> None:
    store, _ = seeded
    d = _drawn(store)
    inspections.export_draw(d.engine, d.draw_id, tmp_path / "out.xlsx")
    rows = _sheet(tmp_path / "out.xlsx", "抽查过程")
    keys = [(row[0], row[1]) for row in rows[1:]]
    record = inspections.get_draw(store, d.draw_id).record
    strata = [("分层抽取", inspections.stratum_label(s["stratum"])) for s in record["strata"]]
    lists = [
        (title, item)
        for title in ("检查对象名录", "执法检查人员名录")
        for item in ("快照编号", "冻结时间", "条目数", "摘要（SHA-256）")
    ]
    assert keys == [
        ("抽查", "抽查批次"),
        ("抽查", "抽查计划"),
        ("抽查", "抽查时间"),
        ("抽查", "公开随机数"),
        ("抽查", "公开随机数公布时间"),
        ("抽查", "随机种子"),
        *lists,
        ("名录", "检查对象总数"),
        *[
            ("排除", label)
            for label in ("不在抽查范围", "免于抽查", "新设主体", "达到年度抽查上限")
        ],
        *strata,
        ("结果", "抽中主体数"),
        ("结果", "检查任务数"),
        ("核验", "核验方法"),
    ]  # no redraw rows, no 第N次抽取 blocks
    process = _info(rows)
    assert process[("抽查", "公开随机数公布时间")][0] == "2026-05-30 09:01:00"
    assert process[("抽查", "抽查时间")][0] == "2026-05-30 09:02:00"
    assert process[("检查对象名录", "冻结时间")][0] == "2026-05-30 09:00:00"
    assert process[("结果", "检查任务数")][0] == len(d.matters)
    assert set(_results(_sheet(tmp_path / "out.xlsx", "抽查结果"))) == set(d.matters)


# -- a plan drawn again ----------------------------------------------------------------------------


def _check_process(process: dict[tuple[str, str], tuple[Any, Any]], r: Redrawn) -> None:
    one, two = "第1次抽取·抽查", "第2次抽取·抽查"
    assert process[("抽取", "抽取次数")][0] == 2
    assert process[("抽取", "当前抽取")] == ("第2次抽取", f"抽查批次 {r.second.id}")
    assert process[(one, "抽查批次")][0] == r.first.id
    assert process[(two, "抽查批次")][0] == r.second.id
    assert process[(one, "状态")] == (
        "已作废——重新抽取为第2次抽取",
        f"抽查批次 {r.second.id}；已作废的抽取不创建检查任务",
    )
    assert process[(two, "状态")][0] == "有效（当前抽取）"
    assert (one, "重新抽取") not in process and (one, "批准人") not in process
    assert process[(two, "重新抽取")] == ("替代第1次抽取", f"抽查批次 {r.first.id}")
    assert process[(two, "重新抽取原因")][0] == r.second.reason
    assert process[(two, "批准人")][0] == HEAD
    assert process[(one, "公开随机数")][0] == PUBLIC_VALUE
    assert process[(two, "公开随机数")][0] == VALUE_2
    assert process[(one, "公开随机数公布时间")][0] == "2026-05-30 09:01:00"
    assert process[(two, "公开随机数公布时间")][0] == "2026-05-31 09:00:00"
    assert process[(two, "抽查时间")][0] == "2026-05-31 09:05:00"
    for n in (1, 2):  # the redraw ran on the same snapshots, frozen at 9:00
        for title in ("检查对象名录", "执法检查人员名录"):
            assert process[(f"第{n}次抽取·{title}", "冻结时间")][0] == "2026-05-30 09:00:00"
    assert process[(two, "随机种子")][0] == r.second.seed != r.first.seed
    assert process[("第1次抽取·结果", "检查任务数")][0] == 0
    assert process[("第2次抽取·结果", "检查任务数")][0] == len(r.matters)
    assert process[("第1次抽取·核验", "核验方法")][0] == f"zhifa draw verify {r.first.id}"
    assert not [k for k in process if k[0] in ("抽查", "检查对象名录", "结果")]


def _order(rows: list[tuple[Any, ...]]) -> list[str]:
    """The draws' blocks as they come, each named once."""
    seen: list[str] = []
    for row in rows[1:]:
        block = str(row[0]).split("·")[0]
        if block not in seen:
            seen.append(block)
    return seen


def test_a_redrawn_plan_lists_both_draws_and_results_of_the_current_one_xlsx(
    redrawn: Redrawn, tmp_path: Path
) -> None:
    r = redrawn
    out = tmp_path / "out.xlsx"
    result = inspections.export_draw(r.engine, r.second.id, out)
    assert result.rows["抽查结果"] == len(r.matters)
    assert load_workbook(out, read_only=True).sheetnames == ["抽查计划", "抽查过程", "抽查结果"]
    rows = _sheet(out, "抽查过程")
    assert _order(rows) == ["抽取", "第1次抽取", "第2次抽取"]
    process = _info(rows)
    _check_process(process, r)
    assert process[("抽取", "本表所列抽取")] == ("第2次抽取", "当前抽取")
    results = _results(_sheet(out, "抽查结果"))
    assert set(results) == set(r.matters)
    assert all(row["公示状态"] == "未公示（已计划）" for row in results.values())


def test_a_redrawn_plan_exports_to_csv(
    capsys: pytest.CaptureFixture[str], redrawn: Redrawn, tmp_path: Path
) -> None:
    r = redrawn
    out = tmp_path / "一公开.csv"
    payload = run_json(capsys, "draw", "export", str(r.second.id), str(out), "--db", r.url)
    assert payload["rows"]["抽查结果"] == len(r.matters)
    rows = _csv(tmp_path / "一公开-draw.csv")
    assert _order(rows) == ["抽取", "第1次抽取", "第2次抽取"]
    _check_process(_info(rows), r)
    results = _csv(tmp_path / "一公开-results.csv")
    assert len(results) == 1 + len(r.matters)
    assert {row[1] for row in results[1:]} == set(r.matters)


@pytest.mark.parametrize("name", ["out.xlsx", "out.csv"])
def test_the_superseded_draw_exports_marked_with_no_results(
    redrawn: Redrawn, tmp_path: Path, name: str
) -> None:
    r = redrawn
    result = inspections.export_draw(r.engine, r.first.id, tmp_path / name)
    assert result.rows["抽查结果"] == 0
    if name.endswith(".xlsx"):
        rows, results = _sheet(tmp_path / name, "抽查过程"), _sheet(tmp_path / name, "抽查结果")
    else:
        rows, results = _csv(tmp_path / "out-draw.csv"), _csv(tmp_path / "out-results.csv")
    process = _info(rows)
    _check_process(process, r)  # the same process: every draw of the plan
    shown, note = process[("抽取", "本表所列抽取")]
    assert shown == "第1次抽取（已作废——重新抽取为第2次抽取）"
    assert f"抽查批次 {r.second.id} 取代" in note and "抽查结果为空" in note
    assert f"zhifa draw export {r.second.id}" in note
    assert [list(row) for row in results] == [list(inspections.RESULT_COLUMNS)]


def test_a_reason_that_looks_like_a_formula_stays_text(
    seeded: tuple[Store, str], tmp_path: Path
) -> None:
    r = _redrawn(*seeded, reason='=HYPERLINK("x")')
    inspections.export_draw(r.engine, r.second.id, tmp_path / "out.xlsx")
    book = load_workbook(tmp_path / "out.xlsx")
    cells = [row[2] for row in book["抽查过程"].iter_rows() if row[1].value == "重新抽取原因"]
    assert len(cells) == 1
    assert cells[0].value == '=HYPERLINK("x")' and cells[0].data_type == "s"
    inspections.export_draw(r.engine, r.second.id, tmp_path / "out.csv")
    text = (tmp_path / "out-draw.csv").read_text("utf-8-sig")
    assert "'=HYPERLINK" in text
