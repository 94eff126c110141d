"""The draw as published: the table 抽查过程 (public value, seed, snapshots, exclusions, strata,
how to re-run it) and :func:`export_draw`, which writes it between the plan and the results."""

from __future__ import annotations

from pathlib import Path

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
from zhifa.inspections.records import DrawInfo, get_draw
from zhifa.inspections.snapshots import INSPECTORS, TARGETS, SnapshotInfo, snapshot_info
from zhifa.store import Store
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


def _draw_rows(
    store: Store, info: DrawInfo, plan_digest: str, tasks: int, visits: int
) -> list[tuple[Cell, ...]]:
    record = info.record
    rows: list[tuple[Cell, ...]] = [
        ("抽查", "抽查批次", info.id, None),
        ("抽查", "抽查计划", info.plan_id, f"计划摘要 {record.get('plan_digest', plan_digest)}"),
        ("抽查", "抽查时间", _moment(info.created_at), None),
        ("抽查", "公开随机数", info.public_value, "名录冻结后公布的随机数，抽查时原样输入"),
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
    rows.append(("结果", "抽中主体数", visits, "每户一次联合检查（进一次门、查多项事）"))
    rows.append(("结果", "检查任务数", tasks, "每个部门一项任务"))
    rows.append(
        (
            "核验",
            "核验方法",
            f"zhifa draw verify {info.id}",
            "以计划、两份名录快照和公开随机数重新抽取，结果应与本记录一致",
        )
    )
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
    workbook or three .csv files (see :mod:`zhifa.inspections.publishing`). ``total`` is called
    once with the number of result rows, ``progress`` as they are written. :class:`InputError`
    for a bad suffix or an existing file without ``force``, :class:`NotFoundError` for an
    unknown draw; nothing is written then."""
    target = Path(path)
    tabular.outputs(target, ["plan", "draw", "results"], force=force)
    store = engine.store
    info = get_draw(store, draw_id)
    plan_table, plan_info = _plan_table(store, info.plan_id, engine.plugins.checklists())
    with store.read() as session:
        departments = _departments(session)
        tasks, stories = _read_tasks(session, draw_id)
        officers = _Officers(session, {oid for s in stories.values() for oid in s.inspectors})
    draw_rows = _draw_rows(
        store, info, plan_info.digest, len(tasks), len({row.visit for row in tasks})
    )
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
