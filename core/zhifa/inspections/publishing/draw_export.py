"""The draw as published: the table 抽查过程 (public value and when it was published, seed,
snapshots, exclusions, strata, how to re-run it) and :func:`export_draw`, which writes it between
the plan and the results.

A plan drawn again (a redraw, see :func:`zhifa.inspections.records.redraw`) shows every draw of
the plan, first draw first, each as its own block whose 类别 names it (``第1次抽取·抽查``): a
replaced draw is marked 已作废, a redraw names the draw it replaces, its reason and the head who
approved it. The results are those of the draw exported: only the current draw creates tasks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa import tabular
from zhifa.engine import Engine
from zhifa.errors import ZhifaError
from zhifa.inspections.publishing._common import (
    DRAW_SHEET,
    INFO_COLUMNS,
    RESULTS_SHEET,
    Cell,
    Progress,
    Total,
    _departments,
    _moment,
    _Officers,
    _percent,
    _write,
    stratum_label,
)
from zhifa.inspections.publishing.plan_export import _plan_table
from zhifa.inspections.publishing.task_results import (
    RESULT_COLUMNS,
    _Labels,
    _read_tasks,
    _result_rows,
)
from zhifa.inspections.records import DrawInfo, get_draw, plan_draws
from zhifa.inspections.snapshots import INSPECTORS, TARGETS, SnapshotInfo, snapshot_info
from zhifa.store import Store
from zhifa.store.tables import DrawTask
from zhifa.tabular import ExportResult, Table

EXCLUDED = {
    "population": ("不在抽查范围", "区域或行业不在计划范围内，或计划的检查事项都不适用"),
    "exempt": ("免于抽查", "所属信用等级免于抽查（无事不扰），且未申请检查"),
    "grace": ("新设主体", "成立不满宽限期的新设主体不列入抽查"),
    "yearly_cap": ("达到年度抽查上限", "本年度随机抽查次数已达所属信用等级的上限"),
}


def _snapshot(store: Store, snapshot_id: int, kind: str) -> SnapshotInfo | None:
    try:
        return snapshot_info(store, snapshot_id, kind)
    except ZhifaError:
        return None


def _ordinal(generation: int) -> str:
    return f"第{generation}次抽取"


def _superseded(info: DrawInfo, generations: Mapping[int, int]) -> str:
    """``已作废——重新抽取为第2次抽取`` for a replaced draw."""
    by = generations.get(info.superseded_by) if info.superseded_by is not None else None
    return f"已作废——重新抽取为{_ordinal(by) if by else '新的抽取'}"


def _redraw_rows(
    info: DrawInfo, generations: Mapping[int, int], officers: _Officers
) -> list[tuple[Cell, ...]]:
    """A plan drawn more than once: whether this draw stands and, for a redraw, what it
    replaces, why, and who approved it."""
    if info.current:
        rows: list[tuple[Cell, ...]] = [
            ("抽查", "状态", "有效（当前抽取）", "抽查结果来自本次抽取")
        ]
    else:
        rows = [
            (
                "抽查",
                "状态",
                _superseded(info, generations),
                f"抽查批次 {info.superseded_by}；已作废的抽取不创建检查任务",
            )
        ]
    if info.replaces is not None:
        replaced = generations.get(info.replaces)
        rows.append(
            (
                "抽查",
                "重新抽取",
                f"替代{_ordinal(replaced) if replaced else '此前的抽取'}",
                f"抽查批次 {info.replaces}",
            )
        )
        rows.append(("抽查", "重新抽取原因", info.reason, None))
        approver = officers.at(info.approved_by, info.created_at)[0] if info.approved_by else None
        rows.append(("抽查", "批准人", approver, "计划牵头部门负责人"))
    return rows


def _draw_rows(
    store: Store,
    info: DrawInfo,
    plan_digest: str,
    tasks: int,
    visits: int,
    extra: Sequence[tuple[Cell, ...]] = (),
) -> list[tuple[Cell, ...]]:
    """One draw's block; ``extra`` (its state among redraws) follows its batch number."""
    record = info.record
    published = info.value_published_at
    rows: list[tuple[Cell, ...]] = [
        ("抽查", "抽查批次", info.id, None),
        *extra,
        ("抽查", "抽查计划", info.plan_id, f"计划摘要 {record.get('plan_digest', plan_digest)}"),
        ("抽查", "抽查时间", _moment(info.created_at), None),
        ("抽查", "公开随机数", info.public_value, "名录冻结后公布的随机数，抽查时原样输入"),
        (
            "抽查",
            "公开随机数公布时间",
            _moment(published),
            "晚于计划公布和两份名录冻结" if published else "未记录",
        ),
        (
            "抽查",
            "随机种子",
            info.seed,
            "SHA-256（计划摘要、检查对象名录摘要、执法检查人员名录摘要、公开随机数）",
        ),
    ]
    for title, snapshot_id, kind, digest_key in (
        ("检查对象名录", info.target_snapshot_id, TARGETS, "targets_digest"),
        ("执法检查人员名录", info.inspector_snapshot_id, INSPECTORS, "inspectors_digest"),
    ):
        shown = _snapshot(store, snapshot_id, kind)
        rows.append((title, "快照编号", snapshot_id, f"zhifa snapshot export {snapshot_id}"))
        rows.append((title, "冻结时间", _moment(shown.taken_at) if shown else None, None))
        rows.append((title, "条目数", shown.rows if shown else None, None))
        rows.append(
            (
                title,
                "摘要（SHA-256）",
                str(record.get(digest_key) or (shown.digest if shown else "")) or None,
                None,
            )
        )
    directory = record.get("directory")
    rows.append(("名录", "检查对象总数", directory if isinstance(directory, int) else None, None))
    excluded = record.get("excluded") or {}
    for key, (label, why) in EXCLUDED.items():
        count = excluded.get(key, 0)
        rows.append(("排除", label, count if isinstance(count, int) else None, why))
    for stratum in record.get("strata") or []:
        label = str(stratum.get("stratum", ""))
        rows.append(
            (
                "分层抽取",
                stratum_label(label),
                f"{stratum.get('eligible', 0)} 户中抽取 {stratum.get('drawn', 0)} 户",
                f"抽取比例 {_percent(stratum.get('ratio', 0))}",
            )
        )
    done = "已作废的抽取不创建检查任务" if not info.current else None
    rows.append(("结果", "抽中主体数", visits, done or "每户一次联合检查（进一次门、查多项事）"))
    rows.append(("结果", "检查任务数", tasks, done or "每个部门一项任务"))
    rows.append(
        (
            "核验",
            "核验方法",
            f"zhifa draw verify {info.id}",
            "以计划、两份名录快照和公开随机数重新抽取，结果应与本记录一致",
        )
    )
    return rows


def _counts(session: Session, draw_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Each draw's tasks and visits (draws without tasks left out)."""
    t = DrawTask.__table__.c
    query = (
        sa.select(t.draw_id, sa.func.count(), sa.func.count(sa.distinct(t.visit)))
        .where(t.draw_id.in_(draw_ids))
        .group_by(t.draw_id)
    )
    return {draw_id: (int(n), int(v)) for draw_id, n, v in session.execute(query)}


def _process_rows(
    store: Store,
    info: DrawInfo,
    draws: Sequence[DrawInfo],
    plan_digest: str,
    counts: Mapping[int, tuple[int, int]],
    officers: _Officers,
) -> list[tuple[Cell, ...]]:
    """The 抽查过程 rows: the draw's block alone for a plan drawn once; else an overview and
    every draw's block in order, its 类别 prefixed with the draw (``第1次抽取·抽查``)."""
    if len(draws) <= 1:
        return _draw_rows(store, info, plan_digest, *counts.get(info.id, (0, 0)))
    generations = {d.id: d.generation for d in draws}
    current = draws[-1]
    rows: list[tuple[Cell, ...]] = [
        (
            "抽取",
            "抽取次数",
            len(draws),
            "计划只抽取一次；重新抽取须说明原因并经牵头部门负责人批准",
        ),
        ("抽取", "当前抽取", _ordinal(current.generation), f"抽查批次 {current.id}"),
    ]
    if info.current:
        rows.append(("抽取", "本表所列抽取", _ordinal(info.generation), "当前抽取"))
    else:
        rows.append(
            (
                "抽取",
                "本表所列抽取",
                f"{_ordinal(info.generation)}（{_superseded(info, generations)}）",
                f"本次抽取已被抽查批次 {info.superseded_by} 取代，未创建检查任务，抽查结果为空；"
                f"当前抽取的结果见 zhifa draw export {current.id}",
            )
        )
    for each in draws:
        label = _ordinal(each.generation)
        block = _draw_rows(
            store,
            each,
            plan_digest,
            *counts.get(each.id, (0, 0)),
            extra=_redraw_rows(each, generations, officers),
        )
        rows.extend((f"{label}·{row[0]}", *row[1:]) for row in block)
    return rows


def export_draw(
    engine: Engine,
    draw_id: int,
    path: str | Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    total: Total | None = None,
) -> ExportResult:
    """Write a draw's plan, process and task results (抽查计划, 抽查过程, 抽查结果) to a .xlsx
    workbook or three .csv files (see :mod:`zhifa.inspections.publishing`). The process lists
    every draw of the plan; the results are the draw's own tasks, so a superseded draw (which
    created none) exports with the process only, saying which draw replaced it. ``total`` is called
    once with the number of result rows, ``progress`` as they are written. :class:`InputError`
    for a bad suffix or an existing file without ``force``, :class:`NotFoundError` for an
    unknown draw; nothing is written then."""
    target = Path(path)
    tabular.outputs(target, ["plan", "draw", "results"], force=force)
    store = engine.store
    info = get_draw(store, draw_id)
    plan_table, plan_info = _plan_table(store, info.plan_id, engine.plugins.checklists())
    draws = plan_draws(store, info.plan_id) or [info]
    with store.read() as session:
        departments = _departments(session)
        tasks, stories = _read_tasks(session, draw_id)
        people = {oid for s in stories.values() for oid in s.inspectors}
        officers = _Officers(session, people | {d.approved_by for d in draws if d.approved_by})
        counts = _counts(session, [d.id for d in draws])
    counts[draw_id] = (len(tasks), len({row.visit for row in tasks}))
    draw_rows = _process_rows(store, info, draws, plan_info.digest, counts, officers)
    if total is not None:
        total(len(tasks))
    tables = [
        plan_table,
        Table(DRAW_SHEET, "draw", INFO_COLUMNS, draw_rows),
        Table(
            RESULTS_SHEET,
            "results",
            RESULT_COLUMNS,
            _result_rows(tasks, stories, officers, departments, _Labels(engine)),
            counted=True,
        ),
    ]
    return _write(target, tables, force, progress)
