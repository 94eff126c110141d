"""What a **minor violation** on record is (轻微或一般违法): the definition the key-attention list
counts (:mod:`zhifa.procedure.attention_list`), read from the record (the events of every
department), never typed. One matter counts once, on the day of its finding:

- a case decided with a penalty that is not a 较重行政处罚 (:func:`zhifa.procedure.serious_list.heavier`),
  on the spot or after the ordinary procedure, unless a review or a court revoked it since;
- a case decided not to penalise a minor violation (行政处罚法 第三十三条第一款: minor, corrected,
  no harm; a first violation with slight harm, corrected) or with soft enforcement (柔性执法); a
  decision not to penalise because the facts are not established or for want of fault is no
  violation;
- an inspection whose result in force (a correction counts once the head signed it off) records
  an item as a violation, until the matter it led to settles it: a case that follows its clue
  decides (the case's own decision then counts instead, so one act is not counted twice), or the
  clue is declined for no violation, insufficient evidence or the limitation period.

A decision or finding whose credit record was corrected on an objection upheld on or before the
day counted (the ``credit_objection`` workflow) does not count: the record said it wrongly.

A heavier penalty is no minor violation: it grounds the serious violation list instead. The credit
file (:mod:`zhifa.credit.records`) keeps a record of every such step; this definition is stricter
(the ground of a decision not to penalise, revocations, corrections and settled findings).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from zhifa.procedure.inspection import codes_with, parse_results
from zhifa.procedure.serious_list import heavier
from zhifa.procedure.shared import FOLLOWS
from zhifa.store.tables import CreditRecord, Event, Matter, MatterLink

DECISIONS = ("decide_penalty", "decide_on_the_spot", "decide_no_penalty", "decide_soft")
"""The steps of a case that decide it."""
PENALTIES = ("decide_penalty", "decide_on_the_spot")
MINOR_NO_PENALTY = frozenset({"minor_corrected_no_harm", "first_violation_slight_harm"})
"""Grounds of a decision not to penalise that still find a (minor) violation (第三十三条第一款)."""
CLEARING_DECLINES = frozenset({"no_violation", "insufficient_evidence", "beyond_limitation"})
"""Grounds of a clue declined that clear what the inspection suspected."""
MAX_LINK_DEPTH = 6  # inspection → clue → … → case: how far a finding's follow-ups are searched


@dataclass(frozen=True, slots=True)
class MinorViolation:
    """A minor violation on record: the matter, the step that found it, its day and a summary."""

    matter_id: int
    workflow: str
    step: str
    event_id: int
    on: date
    what: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "matter": self.matter_id,
            "workflow": self.workflow,
            "step": self.step,
            "event": self.event_id,
            "on": self.on.isoformat(),
            "what": self.what,
        }

    def label(self) -> str:
        return f"{self.workflow} matter {self.matter_id} on {self.on} ({self.what})"


def _case_finding(trigger: str, data: Mapping[str, Any]) -> str | None:
    """What a case's decision found, when it is a minor violation; else None."""
    if trigger in PENALTIES:
        if heavier(data):
            return None
        kind = str(data.get("penalty_kind") or "penalty")
        fine = data.get("fine")
        return f"{kind} {fine} yuan" if kind == "fine" and fine else kind
    if trigger == "decide_no_penalty":
        ground = data.get("ground")
        return f"no penalty: {ground}" if ground in MINOR_NO_PENALTY else None
    return f"soft enforcement: {data.get('measure')}" if trigger == "decide_soft" else None


def _violating(data: Mapping[str, Any]) -> list[str]:
    """The items an inspection's result records as violations ("a clue to open" when only the clue mark)."""
    results, _faults = parse_results(str(data.get("results") or ""))
    found = codes_with(results, "violation")
    return found or (["a clue to open"] if data.get("clue_to_open") is True else [])


def _descendants(session: Session, roots: Iterable[int]) -> dict[int, set[int]]:
    """For each root matter, the matters that follow it, directly or through follow-ups."""
    found: dict[int, set[int]] = {r: set() for r in roots}
    origin = {r: r for r in found}
    frontier = set(found)
    for _ in range(MAX_LINK_DEPTH):
        if not frontier:
            break
        rows = session.execute(
            sa.select(MatterLink.source_id, MatterLink.target_id).where(
                MatterLink.source_id.in_(frontier), MatterLink.kind == FOLLOWS
            )
        ).all()
        frontier = set()
        for source, target in rows:
            root = origin[int(source)]
            if int(target) not in found[root]:
                found[root].add(int(target))
                origin[int(target)] = root
                frontier.add(int(target))
    return found


def _settled(session: Session, matters: set[int], last: date) -> bool:
    """Whether one of ``matters`` settled an inspection's finding on or before ``last``: a case
    decided, or a clue declined on a ground that clears it."""
    if not matters:
        return False
    rows = session.execute(
        sa.select(Matter.workflow, Event.trigger, Event.occurred_at, Event.data)
        .join(Matter, Matter.id == Event.matter_id)
        .where(Event.matter_id.in_(matters), Event.trigger.in_((*DECISIONS, "decline")))
    ).all()
    for r in rows:
        if r.occurred_at.date() > last:
            continue
        if r.workflow == "case" and r.trigger in DECISIONS:
            return True
        if r.workflow == "clue" and json.loads(r.data).get("ground") in CLEARING_DECLINES:
            return True
    return False


def _corrected(session: Session, entity_id: int, last: date) -> set[int]:
    """The events whose credit record an objection upheld on or before ``last`` corrected (read
    from the objection's own steps, so a credit file not yet brought up to date still counts)."""
    opening, upheld = sa.alias(Event.__table__, "opening"), sa.alias(Event.__table__, "upheld")
    rows = session.execute(
        sa.select(opening.c.data, upheld.c.occurred_at)
        .select_from(Matter)
        .join(opening, sa.and_(opening.c.matter_id == Matter.id, opening.c.trigger == "open"))
        .join(upheld, sa.and_(upheld.c.matter_id == Matter.id, upheld.c.trigger == "uphold"))
        .where(Matter.entity_id == entity_id, Matter.workflow == "credit_objection")
    ).all()
    records = set()
    for data, occurred_at in rows:
        record = json.loads(data).get("record")
        if occurred_at.date() <= last and str(record).isdigit():
            records.add(int(record))
    if not records:
        return set()
    found = session.scalars(
        sa.select(CreditRecord.event_id).where(
            CreditRecord.id.in_(records), CreditRecord.event_id.is_not(None)
        )
    )
    return {int(e) for e in found if e is not None}


def minor_violations(
    session: Session, entity_id: int, first: date, last: date
) -> list[MinorViolation]:
    """The entity's minor violations dated from ``first`` through ``last``, as the record stands
    on ``last`` (what counts: the module documentation), oldest first."""
    rows = session.execute(
        sa.select(
            Event.id, Event.matter_id, Event.trigger, Event.occurred_at, Event.data, Matter.workflow
        )
        .join(Matter, Matter.id == Event.matter_id)
        .where(
            Matter.entity_id == entity_id,
            sa.or_(
                sa.and_(
                    Matter.workflow == "case",
                    Event.trigger.in_((*DECISIONS, "conclude_review")),
                ),
                sa.and_(
                    Matter.workflow == "inspection",
                    Event.trigger.in_(
                        ("record_result", "request_correction", "sign_off_correction")
                    ),
                ),
            ),
        )
        .order_by(Event.id)
    ).all()
    cases: dict[int, MinorViolation | None] = {}
    # inspection matter → (the result's event id, its day, the result in force, a correction
    # waiting for the head's sign-off)
    results: dict[int, tuple[int, date, Mapping[str, Any], Mapping[str, Any] | None]] = {}
    for r in rows:
        day = r.occurred_at.date()
        if day > last:
            continue
        data = json.loads(r.data)
        matter = int(r.matter_id)
        if r.workflow == "case":
            if r.trigger == "conclude_review":
                if data.get("outcome") == "revoked":
                    cases[matter] = None  # the decision is gone; a new one may follow
                continue
            what = _case_finding(r.trigger, data)
            cases[matter] = (
                None if what is None else MinorViolation(matter, "case", r.trigger, r.id, day, what)
            )
        elif r.trigger == "record_result":
            results[matter] = (int(r.id), day, data, None)
        elif matter in results:
            event_id, found_on, in_force, pending = results[matter]
            if r.trigger == "request_correction":
                results[matter] = (event_id, found_on, in_force, data)
            elif pending is not None:  # the head signed the correction off: it is in force
                results[matter] = (event_id, found_on, pending, None)
    inspections = {
        matter: MinorViolation(
            matter, "inspection", "record_result", event_id, on, f"found {', '.join(items)}"
        )
        for matter, (event_id, on, in_force, _) in results.items()
        if (items := _violating(in_force))
    }
    follow_ups = _descendants(session, inspections)
    counted = [v for v in cases.values() if v is not None]
    counted += [v for m, v in inspections.items() if not _settled(session, follow_ups[m], last)]
    wrong = _corrected(session, entity_id, last)
    return sorted(
        (v for v in counted if first <= v.on <= last and v.event_id not in wrong),
        key=lambda v: (v.on, v.event_id),
    )
