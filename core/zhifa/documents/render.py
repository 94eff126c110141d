"""Filling a template from the record: :func:`context` gathers what a document says, and
:func:`render` makes the .docx with docxtpl.

The figures a document states are the procedure's own: the working days to request a hearing
and the days between the hearing notice and the hearing, the days to pay a fine
(:mod:`zhifa.procedure.case.thresholds`), the months to sue (:mod:`zhifa.procedure.execution`), the
days an extension adds (the case workflow's clock). The 60 days to apply for administrative
review (行政复议法 第二十条) are :data:`REVIEW_DAYS`. Amounts are printed in capital numerals as
payment documents require (:func:`yuan_in_words`: 人民币壹万贰仟元整（¥12,000.00）).

Rendering is reproducible: the same record gives the same bytes (fixed times in the zip).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from zhifa.documents.kinds import OPEN, Kind
from zhifa.procedure.case.thresholds import HEARING_NOTICE_DAYS, PAYMENT_DAYS, REQUEST_DAYS
from zhifa.procedure.execution import SUE_MONTHS
from zhifa.rules import Violation
from zhifa.store.tables import Department, Document, Entity, Officer
from zhifa.workflow.definitions import Definition

TEMPLATES = Path(__file__).with_name("templates")
"""The shipped templates, one ``<kind>.docx`` each (made by :mod:`zhifa.documents.build`)."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

REVIEW_DAYS = 60
"""Days to apply for administrative review after learning of a decision (行政复议法 第二十条)."""

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")
_GROUPS = ("", "万", "亿", "万亿")
DRAFT = "草稿"
DECISIONS = ("penalty_decision", "no_penalty_decision", "correction_order")
UNKNOWN = "（未登记）"
FINE, CONFISCATION = "fine", "confiscation"


def _group(value: int) -> str:
    """0 < value < 10000 in capital numerals, without leading zeros."""
    out: list[str] = []
    zero = False
    for place in range(3, -1, -1):
        digit = value // 10**place % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(DIGITS[digit] + _PLACES[place])
    return "".join(out)


def yuan_in_words(amount: Decimal | str | int) -> str:
    """An amount of yuan in capital numerals: 12000 → 人民币壹万贰仟元整（¥12,000.00）."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    if value < 0:
        raise ValueError(f"a negative amount ({value}) cannot be written out")
    cents = int(value * 100)
    whole, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    groups = []
    rest = whole
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    if len(groups) > len(_GROUPS):
        raise ValueError(f"{value} yuan is too large to write out")
    text, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        part = groups[index]
        if part == 0:
            gap = bool(text)
            continue
        if text and (gap or part < 1000):
            text += "零"
        text += _group(part) + _GROUPS[index]
        gap = False
    words = text + "元" if text else ""
    if jiao == 0 and fen == 0:
        words = (words or "零元") + "整"
    else:
        if jiao:
            words += DIGITS[jiao] + "角"
        elif words:
            words += "零"
        words += DIGITS[fen] + "分" if fen else "整"
    return f"人民币{words}（¥{value:,.2f}）"


def chinese_date(day: date | datetime | str | None) -> str:
    """2026年3月4日 (a date, a datetime or an ISO date text; empty for None)."""
    if day is None or day == "":
        return ""
    if isinstance(day, str):
        try:
            parsed = date.fromisoformat(day[:10])
        except ValueError:
            return day
        day = parsed
    return f"{day.year}年{day.month}月{day.day}日"


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount > 0 else None


@dataclass(frozen=True, slots=True)
class Source:
    """What a document is made from: the matter, the issuing step and its record."""

    definition: Definition
    trigger: str
    matter_id: int | None
    department: str
    entity_id: int | None
    title: str
    record: Mapping[str, Any]  # the matter's data, the issuing step's under its trigger name
    moment: datetime
    actor_id: str
    opened_at: datetime | None = None
    catalogue: Mapping[str, Sequence[Violation]] = field(default_factory=dict)

    @property
    def step(self) -> Mapping[str, Any]:
        data = self.record.get(self.trigger)
        return data if isinstance(data, Mapping) else {}

    def latest(self, name: str, *triggers: str) -> Any:
        """``name`` from the issuing step, else from the first of ``triggers`` that has it."""
        for trigger in (self.trigger, *triggers):
            data = self.record.get(trigger)
            if isinstance(data, Mapping) and data.get(name) not in (None, ""):
                return data[name]
        return None


def _display(
    defn: Definition, trigger: str, data: Mapping[str, Any], names: Mapping[str, str]
) -> dict[str, Any]:
    """A step's data as a document prints it: choices by their Chinese label, officers by
    name, dates in Chinese, amounts in yuan; booleans stay booleans."""
    spec = defn.open if trigger == OPEN else defn.triggers.get(trigger)
    fields = spec.fields if spec is not None else {}
    out: dict[str, Any] = {}
    for key, value in data.items():
        f = fields.get(key)
        if f is None or value is None:
            out[key] = value
        elif f.type == "enum":
            choice = f.choices.get(str(value))
            out[key] = choice.zh if choice is not None else value
        elif f.type == "officer":
            out[key] = names.get(str(value), str(value))
        elif f.type == "officers" and isinstance(value, list):
            out[key] = "、".join(names.get(str(v), str(v)) for v in value)
        elif f.type == "date":
            out[key] = chinese_date(str(value))
        elif f.type == "money":
            amount = _money(value)
            out[key] = f"{amount:,.2f}元" if amount is not None else "0.00元"
        else:
            out[key] = value
    return out


def _officer_ids(src: Source) -> list[str]:
    opened = src.record.get(OPEN) or {}
    for key in ("handlers", "team", "inspectors"):
        found = opened.get(key) if isinstance(opened, Mapping) else None
        if isinstance(found, list) and found:
            return [str(o) for o in found]
    return [src.actor_id]


def _violation(src: Source) -> Violation | None:
    code = src.latest("violation", "decide_penalty", "notify")
    entries = src.catalogue.get(str(code)) if code else None
    if not entries:
        return None
    act = (src.record.get(OPEN) or {}).get("act_date")
    day = date.fromisoformat(act) if isinstance(act, str) else src.moment.date()
    return next((v for v in entries if v.in_force(day)), entries[-1])


def penalty_text(kind: str, label: str, fine: Decimal | None, confiscated: Decimal | None) -> str:
    """What a penalty is, as a decision states it: 警告；罚款人民币壹万元整（¥10,000.00）."""
    parts = [label] if label and kind not in (FINE, CONFISCATION) else []
    if fine is not None:
        parts.append("罚款" + yuan_in_words(fine))
    if confiscated is not None:
        parts.append("没收违法所得、没收非法财物" + yuan_in_words(confiscated))
    if not parts and label:
        parts.append(label)
    return "；".join(parts)


def _earlier_document(conn: sa.Connection, matter_id: int | None) -> Any:
    if matter_id is None:
        return None
    return conn.execute(
        sa.select(Document.kind, Document.number, Document.issued_at)
        .where(Document.matter_id == matter_id, Document.kind.in_(DECISIONS))
        .order_by(Document.id.desc())
        .limit(1)
    ).first()


def context(
    conn: sa.Connection, kind: Kind, src: Source, number: str | None, *, draft: bool = False
) -> dict[str, Any]:
    """Everything a template of ``kind`` may print, read in the step's transaction; a
    ``draft`` has no number and says 草稿 where the number goes."""
    from zhifa.documents.kinds import KINDS

    ids = _officer_ids(src)
    officers = {
        r.id: r
        for r in conn.execute(
            sa.select(Officer.id, Officer.name, Officer.certificate_no).where(
                Officer.id.in_({*ids, *_named(src)})
            )
        )
    }
    names = {oid: r.name for oid, r in officers.items()}
    dept_name = conn.scalar(sa.select(Department.name).where(Department.code == src.department))
    party: dict[str, str] = {"name": "", "uscc": UNKNOWN, "address": UNKNOWN}
    if src.entity_id is not None:
        row = conn.execute(
            sa.select(Entity.name, Entity.uscc).where(Entity.id == src.entity_id)
        ).first()
        if row is not None:
            party |= {"name": row.name, "uscc": row.uscc}
    opened = src.record.get(OPEN) or {}
    party["name"] = party["name"] or str(opened.get("party_name") or UNKNOWN)
    violation = _violation(src)
    discretion = src.latest("_discretion", "decide_penalty") or {}
    penalty_kind = src.latest("penalty_kind", "decide_penalty", "notify")
    penalty = ""
    if penalty_kind:
        for name in (src.trigger, "decide_penalty", "notify"):
            spec = src.definition.triggers.get(name)
            if spec is not None and "penalty_kind" in spec.fields:
                label = spec.fields["penalty_kind"].choices.get(str(penalty_kind))
                penalty = label.zh if label is not None else str(penalty_kind)
                break
    fine = _money(src.latest("fine", "decide_penalty", "notify") or opened.get("fine_amount"))
    confiscated = _money(src.latest("confiscation", "decide_penalty", "notify"))
    penalty = penalty_text(str(penalty_kind or ""), penalty, fine, confiscated)
    facts = (
        src.step.get("reasons")
        or (src.record.get("conclude_investigation") or {}).get("violation")
        or opened.get("violation")
        or opened.get("summary")
        or src.title
    )
    extension = max(
        (c.extension_days(src.trigger, src.step) for c in src.definition.clocks.values()),
        default=0,
    )
    earlier = _earlier_document(conn, src.matter_id)
    served = ""
    if earlier is not None:
        served = KINDS[earlier.kind].label_zh + (f"（{earlier.number}）" if earlier.number else "")
    step = _display(src.definition, src.trigger, src.step, names)
    return {
        "dept_name": dept_name or src.department,
        "title": kind.label_zh,
        "number": DRAFT if draft else (number or ""),
        "draft": draft,
        "date": chinese_date(src.moment),
        "opened_on": chinese_date(src.opened_at or src.moment),
        "summary": opened.get("summary") or src.title,
        "party": party,
        "officers": [
            {"name": officers[o].name, "certificate_no": officers[o].certificate_no or UNKNOWN}
            for o in ids
            if o in officers
        ],
        "facts": facts or "",
        "provision": violation.basis if violation is not None else "",
        "penalty_basis": discretion.get("penalty_basis")
        or src.latest("legal_basis")
        or (violation.penalty_basis if violation is not None else ""),
        "penalty": penalty,
        "fine_words": yuan_in_words(fine) if fine is not None else "",
        "confiscation_words": yuan_in_words(confiscated) if confiscated is not None else "",
        "fine_due_words": yuan_in_words(_money(src.step.get("fine_due")) or 0),
        "surcharge_due_words": yuan_in_words(_money(src.step.get("surcharge_due")) or 0),
        "served_document": served or "行政处罚文书",
        "decided_on": chinese_date(earlier.issued_at) if earlier is not None else "",
        "days": {
            "hearing_request": REQUEST_DAYS,
            "hearing_notice": HEARING_NOTICE_DAYS,
            "payment": PAYMENT_DAYS,
            "review": REVIEW_DAYS,
            "sue_months": SUE_MONTHS,
            "extension": extension,
        },
        "step": step,
        "open": _display(src.definition, OPEN, opened, names) if src.trigger != OPEN else step,
    }


def _named(src: Source) -> set[str]:
    """The officers the issuing step names (a hearing's chair), to print their names."""
    spec = src.definition.open if src.trigger == OPEN else src.definition.triggers.get(src.trigger)
    out: set[str] = set()
    for name, f in (spec.fields if spec is not None else {}).items():
        value = src.step.get(name)
        if f.type == "officer" and value:
            out.add(str(value))
        elif f.type == "officers" and isinstance(value, list):
            out.update(str(v) for v in value)
    return out


def template_path(kind: Kind) -> Path:
    """The shipped template of ``kind``."""
    return TEMPLATES / f"{kind.code}.docx"


def render(template: Path | bytes, values: Mapping[str, Any]) -> bytes:
    """The .docx of ``template`` filled with ``values``; any fault of the template raises."""
    from docxtpl import DocxTemplate  # type: ignore[import-untyped]

    doc = DocxTemplate(io.BytesIO(template) if isinstance(template, bytes) else template)
    doc.render(dict(values), autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return reproducible(out.getvalue())


def reproducible(data: bytes) -> bytes:
    """``data`` (a .docx) zipped again with fixed times, so equal content gives equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
