"""Publishing random inspections (双随机、一公开): the plan, the draw and the results of its tasks,
and the frozen directories a draw was made from, as ``.xlsx`` workbooks or ``.csv`` files.

**Tables.** A draw is published as three tables: *抽查计划* (the plan: year, departments, items,
ratios, exemptions, caps, the rule for new businesses, the inspection date, the plan's digest and
the day it was published), *抽查过程* (the draw: public value, seed, the two snapshots with their
digests and dates, the directory's size, the entities each rule left out, the strata with their
eligible entities, ratio and drawn count, and how anyone re-runs it: ``zhifa draw verify ID``) and
*抽查结果* (one row per task, see below). A plan alone (before its draw) is the first table; a
target snapshot is one table of entities, an inspector snapshot two (the officers, then the
declared conflicts and last inspections).

**Results.** One row per task of the draw (``draw_tasks``), by visit then department: the entity,
the department, the visit (the tasks of one joint visit share it), the items, the inspectors on
site with their enforcement certificate numbers as of the inspection (none before the inspection
starts: a team known in advance could be approached),
the inspection date (the ``start`` step), the result of each item and the overall result in
Chinese, whether and when it was published and whether on time (``publish``: in time,
``publish_late``: late), and the correction the head signed off, if any. A result is public only
once published: a task not yet published shows its state (未公示) and no results. After a signed-off
correction the corrected results are shown; a correction awaiting sign-off changes nothing. Notes
written against items are not published (they may name people); the results are the structured
codes of :data:`zhifa.procedure.inspection.RESULTS`, worded as :data:`ITEM_RESULTS`.

The results are read in bulk — the tasks in one query, the events of all of them in one streamed
query (:data:`BATCH` rows at a time), the officers and their recorded versions in batches — never
one task at a time, so a draw of 50,000 tasks exports in one pass.

**Files.** They are written by :mod:`zhifa.tabular`; the suffix chooses the format. ``.xlsx``:
one workbook, one sheet per table, a bold header row kept in view; text is always stored as text
(a name beginning with ``=`` is never a formula) and loses the control characters .xlsx cannot
hold. ``.csv``: UTF-8 with a byte-order mark and CRLF line ends, one file per table — the file
itself when there is one table, else ``STEM-SLUG.csv`` beside it for each (a draw: ``-plan``,
``-draw``, ``-results``; an inspector snapshot: ``-inspectors``, ``-conflicts``); a text cell
beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so no
spreadsheet runs it as a formula. Any other suffix, a missing folder, or an existing file without
``force`` is :class:`~zhifa.errors.InputError` before anything is read or written. Each file is
written beside its target under a temporary name and renamed into place at the end, so a failed
export leaves no file behind.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa import tabular
from zhifa.engine import Engine
from zhifa.errors import NotFoundError, ZhifaError
from zhifa.inspections import records
from zhifa.inspections.directories import InspectorDirectory, TargetDirectory
from zhifa.procedure.inspection import RESULTS, officer_ids, parse_checklist, parse_results
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS, ChecklistItem
from zhifa.store import Store
from zhifa.store.tables import (
    Department,
    DrawTask,
    Entity,
    Event,
    Matter,
    Officer,
    OfficerVersion,
    Snapshot,
)
from zhifa.tabular import ExportResult, Table

__all__ = [
    "BATCH",
    "DRAW_SHEET",
    "FORMATS",
    "ITEM_RESULTS",
    "PLAN_SHEET",
    "RESULTS_SHEET",
    "RESULT_COLUMNS",
    "ExportResult",
    "Table",
    "export_draw",
    "export_plan",
    "export_snapshot",
    "item_result",
    "list_snapshots",
    "stratum_label",
    "verdict",
]

BATCH = 2000
"""Rows read from the database at a time, and ids in one ``IN (...)`` list."""

FORMATS = tabular.FORMATS
PLAN_SHEET, DRAW_SHEET, RESULTS_SHEET = "抽查计划", "抽查过程", "抽查结果"
TARGETS_SHEET, INSPECTORS_SHEET, CONFLICTS_SHEET = "检查对象名录", "执法检查人员名录", "回避关系"

Cell = str | int | None
"""A value as exported: text, a whole number, or nothing (an empty cell)."""

ITEM_RESULTS: Mapping[str, str] = {
    "pass": "未发现问题",
    "rectified": "发现问题，已当场整改",
    "rectify": "发现问题，已责令限期整改",
    "violation": "发现问题，涉嫌违法，待后续处理",
    "not_found": "通过登记的住所（经营场所）无法联系",
    "not_applicable": "不适用",
}
"""How each result code of :data:`zhifa.procedure.inspection.RESULTS` is published."""

OVERALL_ORDER = ("violation", "rectify", "rectified", "not_found", "pass")
"""The overall result is the first of these any item has (all ``not_applicable``: none)."""
NOTHING_TO_CHECK = "未发现开展本次抽查涉及的经营活动"

RECHECKS = {"rectified": "复查：已整改到位", "not_rectified": "复查：未按期整改"}
PUBLISH, PUBLISH_LATE = "publish", "publish_late"

RESULT_COLUMNS = (
    "联合检查编号",
    "任务编号",
    "市场主体名称",
    "统一社会信用代码",
    "检查部门",
    "检查事项",
    "检查人员",
    "执法证号",
    "检查日期",
    "检查结果（逐项）",
    "检查结论",
    "公示状态",
    "公示日期",
    "是否按期公示",
    "更正说明",
)
INFO_COLUMNS = ("类别", "项目", "内容", "说明")

KINDS = {"general": "一般项目", "key": "重点项目"}
RISKS = {"low": "低风险", "medium": "中风险", "high": "高风险", "unrated": "未评级"}
EXCLUDED = {
    "population": ("不在抽查范围", "区域或行业不在计划范围内，或计划的检查事项都不适用"),
    "exempt": ("免于抽查", "所属信用等级免于抽查（无事不扰），且未申请检查"),
    "grace": ("新设主体", "成立不满宽限期的新设主体不列入抽查"),
    "yearly_cap": ("达到年度抽查上限", "本年度随机抽查次数已达所属信用等级的上限"),
}


# -- the files -------------------------------------------------------------------------------------

Progress = Callable[[int], None]
Total = Callable[[int], None]


def _write(
    path: Path, tables: Sequence[Table], force: bool, progress: Progress | None
) -> ExportResult:
    """Write ``tables`` as a file for the public: CSV text that a spreadsheet would run as a
    formula gets a leading ``'``, and control characters, which .xlsx cannot hold, are dropped."""
    return tabular.write(
        path,
        tables,
        escape_formulas=True,
        strip_control=True,
        force=force,
        progress=progress,
        batch=BATCH,
    )


# -- wording ---------------------------------------------------------------------------------------


def _day(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _percent(share: Any) -> str:
    try:
        value = Decimal(str(share)) * 100
    except (InvalidOperation, ValueError):
        return str(share)
    return f"{format(value.normalize(), 'f')}%"


def _class(code: str) -> str:
    return f"{code} 类"


def stratum_label(label: str) -> str:
    """A stratum label of :mod:`zhifa.inspections` in Chinese: ``B/high/key`` → ``B 类 / 高风险 /
    重点监管``."""
    parts = label.split("/")
    words = [_class(parts[0])]
    for part in parts[1:]:
        words.append(RISKS.get(part) or {"key": "重点监管", "new": "新设主体"}.get(part) or part)
    return " / ".join(words)


def _department(names: Mapping[str, str], code: str) -> str:
    return names.get(code, code)


def _departments(session: Session) -> dict[str, str]:
    d = Department.__table__.c
    return {code: name for code, name in session.execute(sa.select(d.code, d.name))}


# -- the plan --------------------------------------------------------------------------------------


def _plan_rows(
    plan_id: int,
    info: records.PlanInfo,
    names: Mapping[str, str],
    catalogue: Mapping[str, ChecklistItem],
) -> list[tuple[Cell, ...]]:
    plan = info.plan
    rows: list[tuple[Cell, ...]] = [
        ("计划", "计划编号", plan_id, None),
        ("计划", "年度", plan.year, None),
        (
            "计划",
            "状态",
            "已公布" if info.status == records.PUBLISHED else "草稿（未公布）",
            None,
        ),
        ("计划", "公布日期", _day(info.published_at), None),
        ("计划", "检查日期", plan.inspection_date.isoformat(), None),
        ("计划", "计划摘要（SHA-256）", info.digest, "计划内容的指纹；抽查记录载明并核对它"),
    ]
    if plan.basis:
        rows.append(("计划", "依据", plan.basis, None))
    rows.append(
        ("部门", "牵头部门", _department(names, plan.lead_department), plan.lead_department)
    )
    rows += [("部门", "参与部门", _department(names, d), d) for d in plan.participating]
    for item in plan.items:
        known = catalogue.get(item.code)
        notes = [
            KINDS.get(item.kind, item.kind),
            _department(names, item.department or plan.lead_department),
            f"适用行业：{item.scope or '全部'}",
        ]
        if item.specialty:
            notes.append(f"检查人员专业：{item.specialty}")
        rows.append(("检查事项", item.code, known.name if known else None, "；".join(notes)))
    rows.append(("抽查范围", "区域", "、".join(sorted(plan.regions)) or "全部", None))
    rows.append(("抽查范围", "行业", "、".join(sorted(plan.industries)) or "全部", None))
    rows += [
        ("抽查比例", _class(c), _percent(plan.ratio_of(c)), "按信用风险分类")
        for c in CREDIT_CLASSES
    ]
    rows += [
        ("抽查比例", RISKS[level], _percent(plan.risk_ratios[level]), "按风险等级，取较高比例")
        for level in RISK_LEVELS
        if plan.risk_ratios.get(level)
    ]
    if plan.splits_by_key_supervision:
        rows.append(
            ("抽查比例", "重点监管主体", _percent(plan.key_supervision_ratio), "取较高比例")
        )
    rows += [
        ("免于抽查", _class(c), "无事不扰", "仅抽取申请检查的主体") for c in sorted(plan.exempt)
    ] or [("免于抽查", "无", None, None)]
    rows += [
        ("年度抽查上限", _class(c), f"每年至多 {n} 次", "重点项目不受此限")
        for c, n in sorted(plan.yearly_cap.items())
    ] or [("年度抽查上限", "无", None, None)]
    if plan.grace == "exclude":
        grace = "不列入抽查"
    elif plan.grace == "include":
        grace = "与其他主体同等抽取"
    else:
        grace = f"单独按 {_percent(plan.grace)} 抽取"
    if plan.grace_days:
        rows.append(("新设主体", f"成立不满 {plan.grace_days} 日", grace, None))
    else:
        rows.append(("新设主体", "无宽限期", "与其他主体同等抽取", None))
    rows.append(("检查组", "每组执法人员", f"至少 {plan.team_size} 名", None))
    return rows


def _plan_table(
    store: Store, plan_id: int, catalogue: Mapping[str, ChecklistItem]
) -> tuple[Table, records.PlanInfo]:
    info = records.get_plan(store, plan_id)
    with store.read() as session:
        names = _departments(session)
    rows = _plan_rows(plan_id, info, names, catalogue)
    return Table(PLAN_SHEET, "plan", INFO_COLUMNS, rows), info


def export_plan(
    store: Store,
    plan_id: int,
    path: str | Path,
    *,
    catalogue: Mapping[str, ChecklistItem] | None = None,
    force: bool = False,
) -> ExportResult:
    """Write a plan (draft or published) as the table 抽查计划 to a .xlsx or .csv file; item
    names come from ``catalogue`` (checklist code → item; without it the names are left empty).
    :class:`InputError` for a bad suffix or an existing file without ``force``,
    :class:`NotFoundError` for an unknown plan; nothing is written then."""
    target = Path(path)
    tabular.outputs(target, ["plan"], force=force)
    table, _info = _plan_table(store, plan_id, catalogue or {})
    return _write(target, [table], force, None)


# -- the draw --------------------------------------------------------------------------------------


def _snapshot(store: Store, snapshot_id: int, kind: str) -> records.SnapshotInfo | None:
    try:
        return records.snapshot_info(store, snapshot_id, kind)
    except ZhifaError:
        return None


def _draw_rows(
    store: Store, info: records.DrawInfo, plan_digest: str, tasks: int, visits: int
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
        ("检查对象名录", info.target_snapshot_id, records.TARGETS, "targets_digest"),
        ("执法检查人员名录", info.inspector_snapshot_id, records.INSPECTORS, "inspectors_digest"),
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


@dataclass(slots=True)
class _Story:
    """What a task's events say, folded in order."""

    team: list[str] = field(default_factory=list)
    checklist: str = ""
    assigned: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    started: datetime | None = None
    results: str = ""
    published: datetime | None = None
    late: bool = False
    pending: tuple[str, str] | None = None  # a correction awaiting sign-off: results, reason
    correction: str = ""
    recheck: str = ""

    @property
    def inspectors(self) -> list[str]:
        return self.present or self.assigned or self.team


_READ = frozenset(
    {
        "open",
        "assign",
        "start",
        "record_result",
        "recheck",
        PUBLISH,
        PUBLISH_LATE,
        "request_correction",
        "sign_off_correction",
        "reject_correction",
    }
)


def _fold(story: _Story, trigger: str, at: datetime, text: str) -> None:
    if trigger not in _READ:
        return
    data = json.loads(text) if text else {}
    if not isinstance(data, dict):
        data = {}
    if trigger == "open":
        story.team = officer_ids(data.get("team"))
        story.checklist = str(data.get("checklist") or "")
    elif trigger == "assign":
        story.assigned = officer_ids(data.get("inspectors"))
    elif trigger == "start":
        story.present = officer_ids(data.get("present"))
        story.started = at
    elif trigger == "record_result":
        story.results = str(data.get("results") or "")
    elif trigger == "recheck":
        story.recheck = RECHECKS.get(str(data.get("outcome")), "")
    elif trigger in (PUBLISH, PUBLISH_LATE):
        if story.published is None:
            story.published, story.late = at, trigger == PUBLISH_LATE
    elif trigger == "request_correction":
        story.pending = (str(data.get("results") or ""), str(data.get("reason") or ""))
    elif trigger == "sign_off_correction" and story.pending is not None:
        story.results, reason = story.pending
        story.correction = f"{at:%Y-%m-%d} 经负责人签批更正：{reason}"
        story.pending = None
    elif trigger == "reject_correction":
        story.pending = None


def item_result(code: str) -> str:
    """A result code as published."""
    return ITEM_RESULTS.get(code) or RESULTS.get(code, code).split(" (")[0]


def verdict(results_text: str, recheck: str = "") -> tuple[str, str]:
    """The per-item results and the overall result of a ``results`` text as published
    (``recheck``: the outcome of the last recheck, added to a result ordering rectification)."""
    results, _problems = parse_results(results_text)
    per_item = "；".join(f"{r.code}：{item_result(r.result)}" for r in results.values())
    found = {r.result for r in results.values()}
    overall = next((item_result(code) for code in OVERALL_ORDER if code in found), "")
    if not overall and found:
        overall = NOTHING_TO_CHECK
    if overall and recheck and "rectify" in found:
        overall = f"{overall}（{recheck}）"
    return per_item, overall


@dataclass(frozen=True, slots=True)
class _Person:
    valid_from: datetime
    name: str
    certificate: str | None


class _Officers:
    """The officers named by the tasks, with their recorded versions, read in batches: the name
    and certificate number of an officer as of a moment."""

    def __init__(self, session: Session, ids: set[str]) -> None:
        o, v = Officer.__table__.c, OfficerVersion.__table__.c
        self.current: dict[str, tuple[str, str | None]] = {}
        self.versions: dict[str, list[_Person]] = {}
        wanted = sorted(ids)
        for start in range(0, len(wanted), BATCH):
            chunk = wanted[start : start + BATCH]
            for oid, name, cert in session.execute(
                sa.select(o.id, o.name, o.certificate_no).where(o.id.in_(chunk))
            ):
                self.current[oid] = (name, cert)
            for oid, at, name, cert in session.execute(
                sa.select(v.officer_id, v.valid_from, v.name, v.certificate_no)
                .where(v.officer_id.in_(chunk))
                .order_by(v.officer_id, v.valid_from, v.id)
            ):
                self.versions.setdefault(oid, []).append(_Person(at, name, cert))
        self._starts = {oid: [p.valid_from for p in ps] for oid, ps in self.versions.items()}

    def at(self, oid: str, moment: datetime | None) -> tuple[str, str | None]:
        versions = self.versions.get(oid)
        if moment is not None and versions:
            i = bisect.bisect_right(self._starts[oid], moment) - 1
            if i >= 0:
                return versions[i].name, versions[i].certificate
        return self.current.get(oid, (oid, None))


class _Labels:
    """State labels (Chinese) of the workflow versions the tasks run on, one lookup each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.cache: dict[tuple[str, int], Mapping[str, str]] = {}

    def __call__(self, workflow: str, version: int, state: str) -> str:
        key = (workflow, version)
        labels = self.cache.get(key)
        if labels is None:
            try:
                states = self.engine.definition(workflow, version).states
                labels = {name: spec.label.zh for name, spec in states.items()}
            except ZhifaError:
                labels = {}
            self.cache[key] = labels
        return labels.get(state, state)


def _items(checklist: str, cache: dict[str, str]) -> str:
    shown = cache.get(checklist)
    if shown is None:
        items, _problems = parse_checklist(checklist)
        shown = cache[checklist] = "；".join(f"{code} {what}" for code, what in items.items())
    return shown


def _read_tasks(session: Session, draw_id: int) -> tuple[Sequence[Any], dict[int, _Story]]:
    """The draw's tasks with their matter and entity, and each task's events folded."""
    t, m, e = DrawTask.__table__.c, Matter.__table__.c, Entity.__table__.c
    tasks = session.execute(
        sa.select(
            t.matter_id,
            t.visit,
            t.department_code,
            m.workflow,
            m.workflow_version,
            m.state,
            e.uscc,
            e.name,
        )
        .join(Matter.__table__, m.id == t.matter_id)
        .join(Entity.__table__, e.id == t.entity_id)
        .where(t.draw_id == draw_id)
        .order_by(t.visit, t.department_code, t.matter_id)
    ).all()
    stories: dict[int, _Story] = {row.matter_id: _Story() for row in tasks}
    ev = Event.__table__.c
    events = session.execute(
        sa.select(ev.matter_id, ev.trigger, ev.occurred_at, ev.data)
        .join(DrawTask.__table__, t.matter_id == ev.matter_id)
        .where(t.draw_id == draw_id)
        .order_by(ev.matter_id, ev.seq)
        .execution_options(yield_per=BATCH)
    )
    for matter_id, trigger, at, text in events:
        story = stories.get(matter_id)
        if story is not None:
            _fold(story, trigger, at, text)
    return tasks, stories


def _result_rows(
    tasks: Sequence[Any],
    stories: Mapping[int, _Story],
    officers: _Officers,
    departments: Mapping[str, str],
    label: Callable[[str, int, str], str],
) -> Iterator[tuple[Cell, ...]]:
    checklists: dict[str, str] = {}
    for task in tasks:
        story = stories[task.matter_id]
        # the team stays undisclosed until it is on site: known in advance, it could be approached
        people = (
            [officers.at(oid, story.started) for oid in story.inspectors] if story.started else []
        )
        state = label(task.workflow, task.workflow_version, task.state)
        per_item = overall = published = on_time = correction = None
        if story.published is not None:
            per_item, overall = verdict(story.results, story.recheck)
            status = state if state.startswith("已公示") else f"已公示（{state}）"
            published = _day(story.published)
            on_time = "逾期公示" if story.late else "按期公示"
            correction = story.correction or None
        else:
            status = f"未公示（{state}）"
        yield (
            task.visit,
            task.matter_id,
            task.name,
            task.uscc,
            _department(departments, task.department_code),
            _items(story.checklist, checklists) or None,
            "、".join(name for name, _cert in people) or None,
            "、".join(cert or "无" for _name, cert in people) or None,
            _day(story.started),
            per_item or None,
            overall or None,
            status,
            published,
            on_time,
            correction,
        )


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
    workbook or three .csv files (see the module documentation). ``total`` is called once with
    the number of result rows, ``progress`` as they are written. :class:`InputError` for a bad
    suffix or an existing file without ``force``, :class:`NotFoundError` for an unknown draw;
    nothing is written then."""
    target = Path(path)
    tabular.outputs(target, ["plan", "draw", "results"], force=force)
    store = engine.store
    info = records.get_draw(store, draw_id)
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


# -- snapshots -------------------------------------------------------------------------------------


def list_snapshots(store: Store) -> list[records.SnapshotInfo]:
    """Every snapshot (without its content), by id."""
    s = Snapshot.__table__.c
    with store.read() as session:
        return [
            records.SnapshotInfo(row.id, row.kind, row.taken_at, row.rows, row.digest)
            for row in session.execute(
                sa.select(s.id, s.kind, s.taken_at, s.rows, s.digest).order_by(s.id)
            )
        ]


def _snapshot_kind(store: Store, snapshot_id: int) -> str:
    s = Snapshot.__table__.c
    with store.read() as session:
        kind = session.scalar(sa.select(s.kind).where(s.id == snapshot_id))
    if kind is None:
        raise NotFoundError(
            f"there is no snapshot {snapshot_id}; list the snapshots with zhifa snapshot list"
        )
    return str(kind)


def _entities(store: Store, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Entity id → (USCC, name), read in batches."""
    e = Entity.__table__.c
    out: dict[int, tuple[str, str]] = {}
    with store.read() as session:
        for start in range(0, len(ids), BATCH):
            chunk = list(ids[start : start + BATCH])
            for eid, uscc, name in session.execute(
                sa.select(e.id, e.uscc, e.name).where(e.id.in_(chunk))
            ):
                out[eid] = (uscc, name)
    return out


def _target_rows(store: Store, directory: TargetDirectory) -> Iterator[tuple[Cell, ...]]:
    risks = ("unrated", *RISK_LEVELS)  # code -1 is unrated
    for start in range(0, len(directory), BATCH):
        stop = min(start + BATCH, len(directory))
        ids = directory.ids[start:stop].tolist()
        names = _entities(store, ids)
        columns = zip(
            ids,
            directory.credit_class[start:stop].tolist(),
            directory.risk_level[start:stop].tolist(),
            directory.region[start:stop].tolist(),
            directory.industry[start:stop].tolist(),
            directory.registered_on[start:stop].tolist(),
            directory.key_supervision[start:stop].tolist(),
            directory.asked[start:stop].tolist(),
            directory.inspected_this_year[start:stop].tolist(),
            strict=True,
        )
        for eid, cls, risk, region, industry, registered, key, asked, inspected in columns:
            uscc, name = names.get(eid, (None, None))
            yield (
                eid,
                uscc,
                name,
                CREDIT_CLASSES[cls],
                RISKS[risks[risk + 1]],
                directory.regions[region],
                directory.industries[industry],
                date.fromordinal(registered).isoformat() if registered > 1 else None,
                "是" if key else "否",
                "是" if asked else "否",
                inspected,
            )


TARGET_COLUMNS = (
    "主体编号",
    "统一社会信用代码",
    "名称",
    "信用等级",
    "风险等级",
    "区域",
    "行业",
    "成立日期",
    "重点监管",
    "申请检查",
    "本年已随机抽查次数",
)
INSPECTOR_COLUMNS = (
    "人员编号",
    "姓名",
    "部门代码",
    "部门名称",
    "执法证有效期自",
    "执法证有效期至",
    "专业领域",
    "检查区域",
)
CONFLICT_COLUMNS = ("人员编号", "姓名", "主体编号", "统一社会信用代码", "主体名称", "关系")


def _inspector_tables(store: Store, directory: InspectorDirectory) -> tuple[list[Table], int]:
    """The officers and their links (conflicts, last inspections), and how many officers."""
    officers = directory.officers
    with store.read() as session:
        departments = _departments(session)
        names = _Officers(session, {o.id for o in officers})
    people = [
        (
            o.id,
            names.current.get(o.id, (None, None))[0],
            o.department,
            departments.get(o.department),
            _day(o.certificate_valid_from),
            _day(o.certificate_valid_to),
            "、".join(sorted(o.specialties)) or None,
            "、".join(sorted(o.regions)) or "全部",
        )
        for o in officers
    ]
    pairs = [
        (entity, officer, relation)
        for entities, positions, relation in (
            (directory.conflict_entity, directory.conflict_officer, "申报利害关系（回避）"),
            (directory.last_entity, directory.last_officer, "上次检查该主体"),
        )
        for entity, officer in zip(entities.tolist(), positions.tolist(), strict=True)
    ]
    entities = _entities(store, sorted({entity for entity, _o, _r in pairs}))
    links: list[tuple[Cell, ...]] = []
    for entity, position, relation in pairs:
        oid = officers[position].id
        uscc, name = entities.get(entity, (None, None))
        links.append((oid, names.current.get(oid, (None, None))[0], entity, uscc, name, relation))
    return [
        Table(INSPECTORS_SHEET, "inspectors", INSPECTOR_COLUMNS, people, counted=True),
        Table(CONFLICTS_SHEET, "conflicts", CONFLICT_COLUMNS, links),
    ], len(people)


def export_snapshot(
    store: Store,
    snapshot_id: int,
    path: str | Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
    total: Total | None = None,
) -> ExportResult:
    """Write a snapshot's directory as it was frozen to a .xlsx or .csv file: a target snapshot
    one row per entity (USCC and name as the entities table holds them now), an inspector
    snapshot one row per officer and the conflicts and last inspections. ``total`` and
    ``progress`` count the entities or officers. :class:`InputError` for a bad suffix or an
    existing file, :class:`NotFoundError` for an unknown snapshot,
    :class:`~zhifa.errors.IntegrityError` for a snapshot altered since it was taken; nothing is
    written then."""
    target = Path(path)
    tabular.file_format(target)
    kind = _snapshot_kind(store, snapshot_id)
    slugs = ["targets"] if kind == records.TARGETS else ["inspectors", "conflicts"]
    tabular.outputs(target, slugs, force=force)
    directory = records.load_snapshot(store, snapshot_id, kind)
    tables: list[Table]
    if isinstance(directory, TargetDirectory):
        rows = _target_rows(store, directory)
        tables, count = (
            [Table(TARGETS_SHEET, "targets", TARGET_COLUMNS, rows, True)],
            len(directory),
        )
    else:
        tables, count = _inspector_tables(store, directory)
    if total is not None:
        total(count)
    return _write(target, tables, force, progress)
