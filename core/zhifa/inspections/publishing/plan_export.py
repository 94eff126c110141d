"""The plan as published: the table 抽查计划 (year, departments, items, ratios, exemptions, caps,
the rule for new businesses, the inspection date, the plan's digest and the day it was
published), alone (:func:`export_plan`) or as the first table of a draw."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from zhifa import tabular
from zhifa.inspections.publishing._common import (
    INFO_COLUMNS,
    PLAN_SHEET,
    RISKS,
    Cell,
    _class,
    _day,
    _department,
    _departments,
    _percent,
    _write,
)
from zhifa.inspections.records import PUBLISHED, PlanInfo, get_plan
from zhifa.rules import CREDIT_CLASSES, RISK_LEVELS, ChecklistItem
from zhifa.store import Store
from zhifa.tabular import ExportResult, Table

KINDS = {"general": "一般项目", "key": "重点项目"}


def _plan_rows(
    plan_id: int,
    info: PlanInfo,
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
            "已公布" if info.status == PUBLISHED else "草稿（未公布）",
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
) -> tuple[Table, PlanInfo]:
    info = get_plan(store, plan_id)
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
