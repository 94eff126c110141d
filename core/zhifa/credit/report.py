"""The credit report (信用报告) of one entity: its credit file (一户一档) to hand over, in two
editions, written as a Word document by :mod:`zhifa.credit.report_docx`.

The **internal** edition holds everything in the file, and the class on the day with its score,
the indicators and overrides that decided it and the class history, under the note that the class
is internal (国市监信发〔2022〕6号: not published, no basis for punishment). The **public** edition,
for the entity or a third party, holds no class, no score and no internal note: not whether a
penalty is 较重 nor its discretion tier, no matter ids, risk level or key-supervision mark, no
transfer to the police, no key-attention listing, no penalty revoked on review or in court (nor
its publication), no record corrected on an objection and no record of a kind the report does
not know. Neither names a
complainant or reporter: the file holds none, and complaints are counts and dates.

Every fact comes from :func:`zhifa.credit.file.entity_file`; :func:`look_up` reads only what the
file lacks: decision numbers (recorded by the publication, listing, commitment and repair
matters; a case's is its publication's), an imported record's reference (文号) and department
names. ``as_of`` gives the file as it stood that day: records dated after it, matters opened and
classes stored after it are left out, and the class is the one the scheme gives on that day.
:func:`write_report` returns the file's SHA-256, which whoever hands it over keeps as proof.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zhifa.credit.file import EntityFile, entity_file
from zhifa.credit.records import Record
from zhifa.credit.report_docx import (
    EDITIONS,
    INTERNAL,
    PUBLIC,
    Grid,
    Report,
    Section,
    Written,
    check_target,
    render,
    save,
)
from zhifa.errors import InputError, NotFoundError
from zhifa.rules.credit import CreditScheme
from zhifa.store import Store
from zhifa.store.tables import CreditRecord, Department, Matter, MatterLink
from zhifa.workflow.definitions import OPEN, builtin_workflow_files, load_file

NONE = "—"
CLASS_NOTE = (
    "信用风险分类结果仅供市场监管部门内部使用，用于配置监管资源，不向社会公开，不作为对市场主体"
    "实施行政处罚的依据（国市监信发〔2022〕6号）。The credit-risk class is internal: it allocates "
    "supervision, is not published and is no basis for punishment."
)
CLASSES = {"A": "信用风险低", "B": "信用风险一般", "C": "信用风险较高", "D": "信用风险高"}
DECISIONS = {
    "penalty": "行政处罚",
    "no_penalty": "不予行政处罚",
    "soft_enforcement": "柔性执法",
    "compulsory_enforcement": "强制执行",
    "transfer": "移送公安机关（已立案）",  # internal only
}
INSPECTION = {"violation": "发现违法", "rectify": "责令整改", "clean": "未发现问题"}
LISTS = {
    "abnormal_list": "经营异常名录",
    "serious_list": "严重违法失信名单",
    "attention_list": "重点关注名单",
}
INTERNAL_LISTS = {"attention_list"}
"""Lists the public edition leaves out: the key-attention list is a regulatory risk warning to the
departments concerned (周改办发〔2020〕4号 二（四）三), a tool of supervision like the class."""
ENDINGS = {  # the summaries of the records that end a listing or a publication
    "removed after the cure": "已纠正，移出",
    "listing corrected on objection": "异议成立，更正",
    "removed after three years": "期满移出",
    "removed early": "提前移出",
    "listing revoked with the penalty": "随处罚决定撤销",
    "publication expired": "公示期满",
    "publication stopped early": "信用修复，提前停止公示",
    "publication withdrawn": "撤回公示",
    "removed, no new violation": "期满无新违法，移出",
    "removed on rectification": "整改后移出",
}
STATUSES = {
    "disputed": "异议处理中",
    "corrected": "异议成立，已更正",
    "confirmed": "异议不成立",
    "repaired": "已修复",
}
"""A record's status after an objection or a repair, shown beside its day."""
NUMBERED = {
    "publication": "open",
    "credit_repair": "open",
    "serious_list": "decide_listing",
    "commitment": "grant",
}
"""Where each workflow records its decision number (the step whose ``decision_no`` it is)."""
KNOWN = {
    *DECISIONS,
    *("penalty_changed", "penalty_revoked", "inspection", "complaint", "external"),
    *("publication", "publication_end", "repair"),
    *("commitment", "commitment_kept", "commitment_false", "commitment_repaired"),
}


@dataclass(frozen=True, slots=True)
class Lookups:
    """What the credit file does not hold: decision numbers by matter id (a case's is its
    publication's), the matter each follows, imported records' references by record id, and
    department names by code."""

    numbers: Mapping[int, str] = field(default_factory=dict)
    follows: Mapping[int, int] = field(default_factory=dict)
    references: Mapping[int, str] = field(default_factory=dict)
    departments: Mapping[str, str] = field(default_factory=dict)


def look_up(store: Store, found: EntityFile, department: str | None = None) -> Lookups:
    """The :class:`Lookups` of ``found``; :class:`NotFoundError` if ``department`` names none."""
    ids = [m.id for m in found.matters]
    codes = {m.department for m in found.matters} | ({department} if department else set())
    external = [r.id for r in found.records if r.kind == "external"]
    m, link, r, d = (t.__table__.c for t in (Matter, MatterLink, CreditRecord, Department))
    with store.read() as session:
        names = {
            c: n for c, n in session.execute(sa.select(d.code, d.name).where(d.code.in_(codes)))
        }
        if department and department not in names:
            raise NotFoundError(
                f"no department has the code {department!r}; `zhifa dept list` shows the codes"
            )
        numbers: dict[int, str] = {}
        published: set[int] = set()
        query = sa.select(m.id, m.workflow, m.data).where(
            m.id.in_(ids), m.workflow.in_(list(NUMBERED))
        )
        for mid, workflow, data in session.execute(query):
            step = (data or {}).get(NUMBERED[workflow]) or {}
            if isinstance(step, Mapping) and step.get("decision_no"):
                numbers[mid] = str(step["decision_no"])
                if workflow == "publication":
                    published.add(mid)
        follows = {
            target: source
            for source, target in session.execute(
                sa.select(link.source_id, link.target_id)
                .where(link.kind == "follows", link.target_id.in_(ids))
                .order_by(link.id)
            )
        }
        references = {
            rid: ref
            for rid, ref in session.execute(sa.select(r.id, r.reference).where(r.id.in_(external)))
            if ref
        }
    for target, source in follows.items():  # a case's number is its publication's
        if target in published:
            numbers.setdefault(source, numbers[target])
    return Lookups(numbers, follows, references, names)


@cache
def labels(workflow: str, step: str | None, name: str) -> Mapping[str, str]:
    """The Chinese labels of a field's choices (of any step without ``step``), as the shipped
    workflow defines them; none for a workflow zhifa does not ship."""
    for path in builtin_workflow_files():
        if path.stem == workflow:
            found = load_file(path)
            steps = [found.step(step)] if step else [found.open, *found.triggers.values()]
            fields = [s.fields[name] for s in steps if name in s.fields]
            return {code: label.zh for f in fields for code, label in f.choices.items()}
    return {}


# -- what the report says ------------------------------------------------------------------------


def _money(value: Any) -> str:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return NONE
    return f"{amount:,.2f}" if amount else NONE


class _File:
    """The file as it stood on ``as_of``, with what the sections ask of it."""

    def __init__(self, found: EntityFile, looked: Lookups, as_of: date, public: bool) -> None:
        self.records = [
            r
            for r in found.records
            if r.on <= as_of and not (public and getattr(r, "status", "") == "corrected")
        ]
        self.matters = {m.id: m for m in found.matters if m.opened_at.date() <= as_of}
        self.looked, self.public = looked, public
        revoked = self.first("penalty_revoked")
        self.hidden = set(revoked) if public else set()  # revoked cases, and what follows them
        self.hidden |= {t for t, s in looked.follows.items() if s in self.hidden}

    def of(self, *kinds: str) -> list[Record]:
        return [r for r in self.records if r.kind in kinds and r.matter_id not in self.hidden]

    def first(self, kind: str) -> dict[int | None, Record]:
        """The first record of ``kind`` of each matter."""
        out: dict[int | None, Record] = {}
        for r in self.records:
            if r.kind == kind:
                out.setdefault(r.matter_id, r)
        return out

    def number(self, r: Record) -> str:
        return self.looked.numbers.get(r.matter_id or 0, NONE)

    def department(self, r: Record) -> str:
        line = self.matters.get(r.matter_id or 0)
        return (
            NONE if line is None else self.looked.departments.get(line.department, line.department)
        )

    def columns(self, *header: str) -> list[str]:
        """``header``, and the matter's id where the edition is internal."""
        return [*header] if self.public else [*header, "事项"]

    def day(self, r: Record) -> str:
        """The record's day, with its status after an objection or a repair."""
        status = STATUSES.get(getattr(r, "status", ""), "")
        return f"{r.on}（{status}）" if status else r.on.isoformat()

    def row(self, r: Record, *cells: object) -> list[str]:
        shown = [str(c) if c not in (None, "") else NONE for c in cells]
        return shown if self.public else [*shown, str(r.matter_id or NONE)]


def _basic(f: _File, found: EntityFile) -> Section:
    e = found.entity
    departments = sorted(
        {f.looked.departments.get(m.department, m.department) for m in f.matters.values()}
    )
    rows = [
        ["名称", e.name],
        ["统一社会信用代码", e.uscc],
        ["主体类型", e.kind],
        ["登记日期", e.registered_on.isoformat() if e.registered_on else "未记录"],
        ["所在地区（行政区划代码）", e.region_code],
        ["行业", e.industry],
        ["有关执法部门", "、".join(departments) or NONE],
    ]
    if not f.public:
        rows += [
            ["主体编号（内部）", str(e.id)],
            ["风险等级（目录现值，内部）", e.risk_level or NONE],
            ["重点监管（目录现值，内部）", "是" if e.key_supervision else "否"],
        ]
    return Section(
        "basic", "基本信息 Basic information", 1, "", grids=[Grid(["项目", "内容"], rows)]
    )


def _penalties(f: _File) -> Section:
    changed, revoked = f.first("penalty_changed"), f.first("penalty_revoked")
    kinds = [k for k in DECISIONS if not (f.public and k == "transfer")]
    header = ["决定日期", "类别", "决定书文号", "处罚种类", "罚款（元）", "没收（元）", "决定部门"]
    header += ["复议或诉讼"] if f.public else ["复议或诉讼", "较重行政处罚", "裁量阶次"]
    rows = []
    for r in f.of(*kinds):
        d = r.details
        after = [
            f"{w}（{x.on}）"
            for w, x in (("变更", changed.get(r.matter_id)), ("撤销", revoked.get(r.matter_id)))
            if x
        ]
        cells: list[object] = [f.day(r), DECISIONS[r.kind], f.number(r)]
        if r.kind == "penalty":
            kind = str(d.get("penalty_kind") or "")
            cells += [
                labels("case", "decide_penalty", "penalty_kind").get(kind, kind),
                _money(d.get("fine")),
                _money(d.get("confiscation")),
            ]
        else:
            cells += [NONE, NONE, NONE]
        cells += [f.department(r), "；".join(after)]
        if not f.public:
            cells += (
                ["是" if "heavier" in r.flags else NONE, d.get("tier")]
                if r.kind == "penalty"
                else [NONE, NONE]
            )
        rows.append(f.row(r, *cells))
    return Section(
        "penalties",
        "行政处罚 Administrative penalties",
        len(rows),
        "无行政处罚记录。No penalty on record.",
        grids=[Grid(f.columns(*header), rows)],
    )


def _inspections(f: _File) -> Section:
    rows = []
    for r in f.of("inspection"):
        d = r.details
        result = "、".join(INSPECTION[k] for k in INSPECTION if k in r.flags) or r.summary
        violations, rectify = d.get("violations") or [], d.get("rectify") or []
        rows.append(
            f.row(
                r,
                f.day(r),
                result,
                d.get("items"),
                "、".join(violations),
                "、".join(rectify),
                f.department(r),
            )
        )
    header = f.columns("检查日期", "检查结果", "检查项目数", "违法项目", "整改项目", "检查部门")
    return Section(
        "inspections",
        "监督检查 Inspections",
        len(rows),
        "无监督检查记录。No inspection on record.",
        grids=[Grid(header, rows)],
    )


def _lists(f: _File) -> Section:
    kinds = sorted(
        {
            r.kind
            for r in f.records
            if r.kind.endswith("_list") and not (f.public and r.kind in INTERNAL_LISTS)
        },
        key=lambda k: (k not in LISTS, k),
    )
    rows, listed = [], []
    for kind in kinds:
        ends = f.first(f"{kind}_end")
        for r in f.of(kind):
            end = ends.get(r.matter_id)
            ground = "、".join(labels(kind, None, "ground").get(g, g) for g in r.flags) or r.summary
            how = ENDINGS.get(end.summary, end.summary) if end else "截至报告日仍在列"
            rows.append(
                f.row(
                    r,
                    LISTS.get(kind, kind),
                    f.day(r),
                    ground,
                    f.number(r),
                    end.on if end else NONE,
                    how,
                    f.department(r),
                )
            )
            if end is None:
                listed.append(LISTS.get(kind, kind))
    header = f.columns(
        "名录", "列入日期", "列入事由", "决定书文号", "移出日期", "移出情形", "作出部门"
    )
    lead = [
        f"截至报告日在列：{'、'.join(dict.fromkeys(listed))}。"
        if listed
        else "截至报告日不在任何名录。"
    ]
    return Section(
        "lists",
        "列入名录 Lists",
        len(rows),
        "从未被列入经营异常名录、严重违法失信名单或其他名录。Never listed.",
        lead=lead,
        grids=[Grid(header, rows)],
    )


def _commitments(f: _File) -> Section:
    kept, false, repaired = (
        f.first(k) for k in ("commitment_kept", "commitment_false", "commitment_repaired")
    )
    rows = []
    for r in f.of("commitment"):
        k, x, fixed = (o.get(r.matter_id) for o in (kept, false, repaired))
        outcome = (
            f"虚假（{x.on}），已修复（{fixed.on}）" if x and fixed
            else f"经核查虚假（{x.on}）" if x
            else f"经核查属实（{k.on}）" if k
            else "截至报告日未核查"
        )  # fmt: skip
        kind = "、".join(labels("commitment", OPEN, "kind").get(c, c) for c in r.flags)
        item = r.summary.removeprefix("commitment: ")
        rows.append(f.row(r, f.day(r), kind, item, f.number(r), outcome, f.department(r)))
    header = f.columns("承诺日期", "承诺类型", "承诺事项", "决定文号", "核查结果", "受理部门")
    return Section(
        "commitments",
        "信用承诺 Commitments and their outcome",
        len(rows),
        "无信用承诺记录。No commitment on record.",
        grids=[Grid(header, rows)],
    )


def _publications(f: _File) -> Section:
    ends = f.first("publication_end")
    rows = []
    for r in f.of("publication", "repair"):
        if r.kind == "publication":
            end = ends.get(r.matter_id)
            state = (
                f"{end.on} {ENDINGS.get(end.summary, end.summary)}" if end else "截至报告日公示中"
            )
            rows.append(f.row(r, f.day(r), "行政处罚信息公示", f.number(r), state, f.department(r)))
        else:
            rows.append(
                f.row(
                    r, f.day(r), "信用修复（准予提前停止公示）", f.number(r), NONE, f.department(r)
                )
            )
    header = f.columns("日期", "类别", "决定书文号", "公示结束", "部门")
    return Section(
        "publications",
        "公示与信用修复 Publications and repairs",
        len(rows),
        "无行政处罚信息公示或信用修复记录。No publication or repair on record.",
        grids=[Grid(header, rows)],
    )


def _complaints(f: _File) -> Section:
    records = f.of("complaint")
    n = {k: sum(k in r.flags for r in records) for k in ("complaint", "report")}
    rows = [[f.day(r), "举报" if "report" in r.flags else "投诉"] for r in records]
    return Section(
        "complaints",
        "投诉举报 Complaints and reports received",
        len(rows),
        "未收到投诉举报。None received.",
        lead=[f"共收到 {len(rows)} 件：投诉 {n['complaint']} 件，举报 {n['report']} 件。"],
        grids=[Grid(["收到日期", "类别"], rows)],
        notes=[
            "仅载明件数和收到日期；投诉举报人的信息依法保密，不载入信用档案。收到投诉举报不表明违法事实成立。"
        ],
    )


def _external(f: _File) -> Section:
    rows = [
        [f.day(r), r.source, f.looked.references.get(r.id, NONE), r.summary,
         "、".join(r.flags) or NONE, str(r.details.get("basis") or NONE)]
        for r in f.of("external")
    ]  # fmt: skip
    return Section(
        "external",
        "其他机关的信用记录 Records of other bodies",
        len(rows),
        "无其他机关的信用记录。No record imported from another body.",
        grids=[Grid(["认定日期", "来源机关", "文号", "内容", "标记", "依据"], rows)],
        notes=["以上记录由来源机关认定，按其提供的数据导入，内容以来源机关为准。"] if rows else [],
    )


def _class(f: _File, found: EntityFile, as_of: date) -> Section:
    now = found.now
    summary = Grid(
        ["分类日期", "类别", "分值", "分类方案"],
        [[now.as_of.isoformat(), f"{now.credit_class} {CLASSES.get(now.credit_class, '')}",
          f"{now.score:g}", f"{now.scheme} {now.scheme_version}"]],
    )  # fmt: skip
    reasons = Grid(
        ["指标", "说明", "记录数", "影响"],
        [[str(r["code"]), str(r["label"]), str(r["records"]),
          f"直接归入 {r['class']} 类" if "class" in r else f"{float(r['points']):+g} 分"]
         for r in now.reasons],
        "决定分类的指标 The indicators that decided it",
    )  # fmt: skip
    stored = [h for h in found.history if h.as_of <= as_of and h.computed_at.date() <= as_of]
    history = Grid(
        ["分类日期", "类别", "分值", "分类方案", "部门", "计算时间"],
        [[h.as_of.isoformat(), h.credit_class, f"{h.score:g}", f"{h.scheme} {h.scheme_version}",
          f.looked.departments.get(h.department, h.department) or NONE,
          h.computed_at.isoformat(sep=" ", timespec="minutes")] for h in stored],
        "分类历史（截至报告日已作出的分类） Class history",
    )  # fmt: skip
    lead = [f"依据截至 {as_of} 的信用档案计算（未计入的指标不列出）。"]
    if not now.reasons:
        lead.append("没有指标计入，分值为方案的基础分。No indicator counted: the base score.")
    return Section(
        "class",
        "信用风险分类（内部） Credit-risk class (internal)",
        1,
        "",
        lead=lead,
        warning=CLASS_NOTE,
        grids=[g for g in (summary, reasons, history) if g.rows or g is summary],
        notes=[] if stored else ["截至报告日没有存储的分类。No class stored by the day."],
    )


def _other(f: _File) -> Section:
    rows = [
        f.row(r, f.day(r), r.kind, r.source, r.summary)
        for r in f.records
        if r.kind not in KNOWN and not r.kind.endswith(("_list", "_list_end"))
    ]
    return Section(
        "other",
        "其他记录（内部） Other records (internal)",
        len(rows),
        "",
        grids=[Grid(f.columns("日期", "记录类型", "来源", "摘要"), rows)],
    )


def build(
    found: EntityFile,
    looked: Lookups,
    *,
    as_of: date,
    made: datetime,
    public: bool,
    department: str | None = None,
) -> Report:
    """What the report of ``found`` says on ``as_of`` (see the module documentation)."""
    f = _File(found, looked, as_of, public)
    edition = PUBLIC if public else INTERNAL
    e = found.entity
    number = f"XYBG-{e.uscc}-{made:%Y%m%d%H%M%S}-{'G' if public else 'N'}"
    sections = [
        _basic(f, found),
        _penalties(f),
        _inspections(f),
        _lists(f),
        _commitments(f),
        _publications(f),
        _complaints(f),
        _external(f),
    ]
    if not public:
        sections.append(_class(f, found, as_of))
        other = _other(f)
        if other.count:
            sections.append(other)
    issuer = looked.departments.get(department, department) if department else "未指定"
    cover = [
        ("报告编号", number),
        ("版本", EDITIONS[edition]),
        ("主体名称", e.name),
        ("统一社会信用代码", e.uscc),
        ("出具部门", issuer),
        ("信用信息截至", f"{as_of.isoformat()}（含当日）"),
        ("生成时间", made.isoformat(sep=" ", timespec="seconds")),
    ]
    notes = [
        f"本报告依据执法记录生成，载明截至 {as_of}（含当日）的信用记录，此后的记录不在本报告中。"
        "每项记录均来自作出该行为的执法步骤；其他机关的记录注明来源机关。",
        "本报告为公开版，供市场主体本人或第三方使用。"
        if public
        else "本报告为内部版，含信用风险分类等内部监管信息，仅供市场监管部门使用，不得对外提供；"
        "对外请出具公开版。",
        "报告出具时另行提供本文件的 SHA-256 校验值，可据以核验文件未被改动。",
    ]
    return Report(number, edition, e.name, e.uscc, as_of, made, cover, sections, notes)


def write_report(
    store: Store,
    uscc_or_id: str | int,
    scheme: CreditScheme,
    as_of: date,
    now: datetime,
    path: str | Path,
    *,
    public: bool = False,
    department: str | None = None,
    force: bool = False,
) -> Written:
    """Write the credit report of the entity with this USCC or id on ``as_of`` to ``path`` (see
    the module documentation). Bad input is an :class:`InputError` in one sentence (a path
    :func:`check_target` refuses, a day after today, an unknown entity or department), raised
    before anything is written."""
    target = check_target(Path(path), force=force)
    if as_of > now.date():
        raise InputError(
            f"--as-of {as_of} is after today ({now.date()}); a report gives the file as it stood "
            "on a day that has come, so give today or an earlier day"
        )
    found = entity_file(store, uscc_or_id, scheme, as_of, now)
    looked = look_up(store, found, department)
    report = build(found, looked, as_of=as_of, made=now, public=public, department=department)
    return save(render(report), report, target, force=force)


__all__ = ["Lookups", "build", "look_up", "write_report"]
