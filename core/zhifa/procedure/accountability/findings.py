"""Due-diligence review (尽职免责 / 失职问责): what the record shows each officer did for an entity.

An accountability review is opened after an incident at a market entity. :func:`gather` reads,
from the immutable record only, every step taken in the review window on the entity's matters
(inspections, clues, cases…) and the officers who took them or were named in them. For each
officer it then works out:

* which exemption grounds the record itself supports — ``inspected_as_required``: the officer
  was on site at (or recorded the result of) an inspection of the entity in the window whose
  result was recorded with no statutory deadline missed, and has no misconduct flag; being named
  otherwise (say, as having declared a conflict) is not inspecting; ``expert_false_report`` is *possible* only
  where a testing or appraisal body was commissioned in those matters;
* misconduct flags — an inspection recorded as a random draw with no draw behind it, a step
  the officer's roles do not allow, a step taken without a valid enforcement certificate, and
  a statutory deadline missed (or overdue on the review date) on a matter the officer handled.
  Roles and certificate are those of the officer's record as it stood when the step was taken
  (:func:`zhifa.directory.officer_as_of`), not as it stands today: a role granted or a
  certificate renewed afterwards neither hides nor causes a flag, and each flag says which
  roles or certificate the record showed then.

The other grounds (beyond existing technical means, no causal link, other lawful grounds) are
judgements the reviewers record with their reasons and evidence; the ``conclude`` step of the
``accountability`` workflow refuses conclusions the record contradicts (see
:mod:`zhifa.procedure.accountability.guards`). Reading never writes, so the findings can be
recomputed by anyone at any time and compared with what was concluded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.directory import BEFORE_HISTORY, OfficerRecord, officer_histories
from zhifa.hooks.types import Actor
from zhifa.store.tables import HISTORY_START, Clock, Event, Matter, Officer, WorkflowVersion
from zhifa.workflow.definitions import OPEN, Definition, StepSpec, parse_definition

REVIEW_WORKFLOW = "accountability"
INSPECTION_WORKFLOW = "inspection"
RESULT_TRIGGER = "record_result"  # the inspection step that records the result of each item
ON_SITE = ("start", "present")  # the inspection step, and its field, naming who was on site
TESTING_TRIGGER = "start_testing"  # a testing, inspection or appraisal body is commissioned

EXEMPTION_GROUNDS: dict[str, tuple[str, str]] = {
    # code: (Chinese, English)
    "inspected_as_required": (
        "已按法律法规和检查计划履行检查职责",
        "inspected as law and plan required",
    ),
    "beyond_technical_means": ("受现有技术手段限制无法发现", "beyond existing technical means"),
    "no_causal_link": ("问题与检查行为无因果关系", "no causal link to the inspection"),
    "expert_false_report": (
        "委托的专业机构出具虚假报告",
        "a commissioned expert body's false report",
    ),
    "other_lawful_grounds": ("其他依法应当免责的情形", "other lawful grounds"),
}
BASIS = "泰政字〔2019〕80号 五(二) — 尽职照单免责、失职照单问责"

_MATTERS = cast(sa.Table, Matter.__table__)
_EVENTS = cast(sa.Table, Event.__table__)
_CLOCKS = cast(sa.Table, Clock.__table__)
_OFFICERS = cast(sa.Table, Officer.__table__)
_VERSIONS = cast(sa.Table, WorkflowVersion.__table__)


@dataclass(frozen=True, slots=True)
class StepSeen:
    """One recorded step on the entity's matters within the window."""

    matter_id: int
    workflow: str
    seq: int
    trigger: str
    to_state: str
    actor_id: str
    occurred_at: datetime


@dataclass(slots=True)
class OfficerFindings:
    """What the record shows of one officer."""

    officer_id: str
    name: str
    steps: list[StepSeen] = field(default_factory=list)
    named_in: set[int] = field(default_factory=set)  # matters naming the officer in step data
    supported: set[str] = field(default_factory=set)  # exemption grounds the record supports
    possible: set[str] = field(default_factory=set)  # grounds the record makes possible
    flags: list[str] = field(default_factory=list)  # misconduct patterns, one sentence each

    @property
    def matters(self) -> set[int]:
        return {s.matter_id for s in self.steps} | self.named_in

    def as_dict(self) -> dict[str, Any]:
        return {
            "officer": self.officer_id,
            "name": self.name,
            "matters": sorted(self.matters),
            "steps": [
                {
                    "matter": s.matter_id,
                    "workflow": s.workflow,
                    "seq": s.seq,
                    "trigger": s.trigger,
                    "at": s.occurred_at.isoformat(),
                }
                for s in self.steps
            ],
            "supported_grounds": sorted(self.supported),
            "possible_grounds": sorted(self.possible),
            "flags": list(self.flags),
        }


@dataclass(frozen=True, slots=True)
class Findings:
    """The record of one entity in one window, per officer."""

    entity_id: int
    window_from: date
    window_to: date
    matters: tuple[int, ...]
    officers: Mapping[str, OfficerFindings]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "window": [self.window_from.isoformat(), self.window_to.isoformat()],
            "matters": list(self.matters),
            "officers": [o.as_dict() for o in self.officers.values()],
        }


@cache
def _definition(name: str, version: int, source: str) -> Definition:
    return parse_definition(source, f"{name}.yaml (version {version}, as stored)")


def _officer_ids(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def gather(
    session: Session, entity_id: int, window_from: date, window_to: date, as_of: date
) -> Findings:
    """Every step on the entity's matters from ``window_from`` to ``window_to`` (inclusive), per
    officer, with the exemption grounds the record supports and the misconduct it shows."""
    start = datetime.combine(window_from, time.min)
    end = datetime.combine(window_to + timedelta(days=1), time.min)
    matters = {
        r.id: r
        for r in session.execute(
            sa.select(_MATTERS).where(
                _MATTERS.c.entity_id == entity_id, _MATTERS.c.workflow != REVIEW_WORKFLOW
            )
        )
    }
    rows = session.execute(
        sa.select(_EVENTS)
        .where(
            _EVENTS.c.matter_id.in_(list(matters)),
            _EVENTS.c.occurred_at >= start,
            _EVENTS.c.occurred_at < end,
        )
        .order_by(_EVENTS.c.occurred_at, _EVENTS.c.matter_id, _EVENTS.c.seq)
    ).all()
    in_window = sorted({r.matter_id for r in rows})
    definitions = {
        (v.name, v.version): _definition(v.name, v.version, v.source)
        for v in session.execute(sa.select(_VERSIONS))
    }
    found: dict[str, OfficerFindings] = {}
    taken: list[tuple[Any, StepSpec]] = []  # (event row, its step spec), for the checks below

    def of(officer_id: str) -> OfficerFindings:
        return found.setdefault(officer_id, OfficerFindings(officer_id, officer_id))

    for r in rows:
        matter = matters[r.matter_id]
        of(r.actor_id).steps.append(
            StepSeen(
                r.matter_id,
                matter.workflow,
                r.seq,
                r.trigger,
                r.to_state,
                r.actor_id,
                r.occurred_at,
            )
        )
        defn = definitions[(matter.workflow, matter.workflow_version)]
        step = defn.open if r.from_state is None else defn.triggers.get(r.trigger)
        if step is None:
            continue
        taken.append((r, step))
        data = json.loads(r.data)
        for fspec in step.fields.values():
            if fspec.type in ("officer", "officers"):
                for named in _officer_ids(data.get(fspec.name)):
                    of(named).named_in.add(r.matter_id)

    officers = {
        o.id: o
        for o in session.execute(sa.select(_OFFICERS).where(_OFFICERS.c.id.in_(sorted(found))))
    }
    for oid, officer in found.items():
        if oid in officers:
            officer.name = officers[oid].name
    histories = officer_histories(session, {r.actor_id for r, _ in taken})
    for r, step in taken:
        if r.actor_id not in histories:
            continue
        record = histories[r.actor_id].as_of(r.occurred_at)
        actor = Actor.from_row(record)
        officer = found[r.actor_id]
        source = _as_recorded(record, r.occurred_at)
        if not actor.roles & step.roles:
            held = ", ".join(sorted(actor.roles)) or "none"
            officer.flags.append(
                f"matter {r.matter_id} step {r.seq} ({r.trigger}) on {r.occurred_at:%Y-%m-%d} "
                f"needs role {' or '.join(sorted(step.roles))}, which the officer did not hold "
                f"that day (roles: {held}, {source})"
            )
        day = r.occurred_at.date()
        if step.certificate and not actor.certified_on(day):
            officer.flags.append(
                f"matter {r.matter_id} step {r.seq} ({r.trigger}) on {day} was taken without an "
                f"enforcement certificate valid that day ({record.certificate_text()}, "
                f"{source}; 行政处罚法 第四十二条)"
            )

    late = _late_clocks(session, in_window, as_of)
    drawn = _undrawn_inspections(rows, matters)
    tested = {r.matter_id for r in rows if r.trigger == TESTING_TRIGGER}
    results = {r.matter_id for r in rows if r.trigger == RESULT_TRIGGER}
    on_site: dict[int, set[str]] = {m: set() for m in in_window}  # who inspected, per matter
    for r in rows:
        if r.trigger == RESULT_TRIGGER:
            on_site[r.matter_id].add(r.actor_id)
        elif r.trigger == ON_SITE[0]:
            on_site[r.matter_id] |= _officer_ids(json.loads(r.data).get(ON_SITE[1]))
    for officer in found.values():
        mine = officer.matters
        for matter_id in sorted(mine & set(late)):
            officer.flags.append(late[matter_id])
        for matter_id in sorted(mine & drawn):
            officer.flags.append(
                f"matter {matter_id} is an inspection recorded as drawn at random, but no draw "
                "is recorded for it (选择性执法: an inspection of an entity not drawn for it)"
            )
        inspected = {
            m
            for m in mine & results
            if matters[m].workflow == INSPECTION_WORKFLOW
            and m not in late
            and m not in drawn
            and officer.officer_id in on_site[m]
        }
        if inspected and not officer.flags:
            officer.supported.add("inspected_as_required")
        if mine & tested:
            officer.possible.add("expert_false_report")
    return Findings(
        entity_id, window_from, window_to, tuple(in_window), dict(sorted(found.items()))
    )


def _as_recorded(record: OfficerRecord, moment: datetime) -> str:
    """Which record of the officer a flag was judged on, in words."""
    if record.valid_from is None:
        return "as the current record shows; no history is kept for this officer"
    if record.valid_from == HISTORY_START:
        return BEFORE_HISTORY
    if record.valid_from > moment:
        return (
            f"as the officer's earliest record shows, made {record.valid_from:%Y-%m-%d %H:%M:%S} "
            f"by {record.recorded_by}, after the step"
        )
    return f"as recorded {record.valid_from:%Y-%m-%d %H:%M:%S} by {record.recorded_by}"


def _late_clocks(session: Session, matter_ids: Sequence[int], as_of: date) -> dict[int, str]:
    """Matters with a statutory deadline missed, or running past its day on ``as_of``."""
    late: dict[int, str] = {}
    for c in session.execute(
        sa.select(_CLOCKS)
        .where(_CLOCKS.c.matter_id.in_(list(matter_ids)))
        .order_by(_CLOCKS.c.matter_id, _CLOCKS.c.name)
    ):
        if c.status == "missed":
            late.setdefault(
                c.matter_id,
                f"matter {c.matter_id}: deadline {c.name} ({c.due_on}) was missed "
                f"(stopped {c.stopped_on})",
            )
        elif c.status == "running" and c.due_on is not None and c.due_on < as_of:
            late.setdefault(
                c.matter_id,
                f"matter {c.matter_id}: deadline {c.name} ({c.due_on}) is overdue on {as_of}",
            )
    return late


def _undrawn_inspections(rows: Sequence[Any], matters: Mapping[int, Any]) -> set[int]:
    """Inspections opened as random draws whose opening names no draw."""
    out: set[int] = set()
    for m in {r.matter_id for r in rows}:
        matter = matters[m]
        if matter.workflow != INSPECTION_WORKFLOW:
            continue
        opened = (matter.data or {}).get(OPEN) or {}
        if opened.get("source") == "random_draw" and not opened.get("draw"):
            out.add(m)
    return out
