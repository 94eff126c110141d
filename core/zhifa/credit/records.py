"""The entity's credit file (一户一档): every fact zhifa records about an entity, as dated credit
records derived from the record, never typed twice.

:data:`DERIVED` says which step of which workflow becomes which kind of record
(:data:`zhifa.rules.credit.RECORD_KINDS`); :func:`derive` turns one event into its record (or
none); :func:`sync` adds the record of every event on the record that has none yet, in one
statement per batch, so the file follows the record whoever took the steps (the CLI, the desk, a
script). A record keeps the event it came from (``event_id``, unique), so deriving again adds
nothing. Records from other bodies (a court's defaulter list, another department) are imported
with their source named (:mod:`zhifa.credit.importing`).

What is a **较重行政处罚** (a heavier penalty, SAMR Order 44 第二条第二款) is decided once, by
:func:`zhifa.procedure.serious_list.heavier`, which the serious list's guards use too.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import NamedFromClause

from zhifa.procedure.inspection import codes_with, parse_results
from zhifa.procedure.serious_list import heavier, recorded_money
from zhifa.store.tables import CreditRecord, Event, Matter
from zhifa.workflow.definitions import OPEN

REVOCATION_KINDS = frozenset({"permit_revocation", "production_halt", "closure"})
"""Penalty kinds that end or stop the business: the overrides of a scheme look for them."""
SOURCE = "zhifa"  # the source of a record derived from zhifa's own record


@dataclass(frozen=True, slots=True)
class Derived:
    """A credit record an event gives: kind, flags, summary and details (the day is the day the
    step was taken)."""

    kind: str
    summary: str
    flags: frozenset[str] = frozenset()
    details: Mapping[str, Any] | None = None
    concerns: int | None = None  # the record an objection or a repair is about


def _penalty(data: Mapping[str, Any]) -> Derived:
    kind = str(data.get("penalty_kind") or "")
    fine = recorded_money(data.get("fine"))
    tier = (data.get("_discretion") or {}).get("tier")
    flags = {
        f
        for f, on in (
            ("heavier", heavier(data)),
            ("revocation", kind in REVOCATION_KINDS),
            ("permit_revoked", kind == "permit_revocation"),
        )
        if on
    }
    words = [] if kind == "fine" and fine else [kind or "penalty"]
    words += [f"fine {fine} yuan"] if fine else []
    words += [f"{tier} tier"] if tier else []
    details = {
        "penalty_kind": kind,
        "fine": str(fine),
        "confiscation": str(recorded_money(data.get("confiscation"))),
        "tier": tier,
        "heavier": "heavier" in flags,
        "violation": data.get("violation"),
    }
    return Derived("penalty", ", ".join(words), frozenset(flags), details)


def _inspection(data: Mapping[str, Any]) -> Derived:
    results, _faults = parse_results(str(data.get("results") or ""))
    violations = codes_with(results, "violation")
    rectify = codes_with(results, "rectify")
    flags = set()
    if violations or data.get("clue_to_open") is True:
        flags.add("violation")
    if rectify:
        flags.add("rectify")
    if not flags:
        flags.add("clean")
    summary = (
        f"violation found ({', '.join(violations) or 'clue to open'})"
        if "violation" in flags
        else f"rectification ordered ({', '.join(rectify)})"
        if rectify
        else "no problem found"
    )
    return Derived(
        "inspection",
        summary,
        frozenset(flags),
        {"violations": violations, "rectify": rectify, "items": len(results)},
    )


def _review(data: Mapping[str, Any]) -> Derived | None:
    outcome = data.get("outcome")
    if outcome == "revoked":
        return Derived("penalty_revoked", "penalty revoked on review or in court")
    if outcome == "changed":
        return Derived("penalty_changed", "penalty changed on review or in court")
    return None


def _complaint(data: Mapping[str, Any]) -> Derived | None:
    source = data.get("source")
    if source not in ("complaint", "report"):
        return None
    follows = (data.get("_matter") or {}).get("follows") or {}
    if follows.get("workflow") == "complaint":
        return None  # the complaint it comes from counted once, when accepted
    # the reporter is never copied into the credit file (their identity stays with the clue)
    return Derived("complaint", f"{source} received", frozenset({str(source)}), {"source": source})


def _fixed(kind: str, summary: str) -> Callable[[Mapping[str, Any]], Derived]:
    return lambda _data: Derived(kind, summary)


DERIVED: dict[tuple[str, str], Callable[[Mapping[str, Any]], Derived | None]] = {
    ("inspection", "record_result"): _inspection,
    ("case", "decide_penalty"): _penalty,
    ("case", "decide_on_the_spot"): _penalty,
    ("case", "decide_no_penalty"): _fixed("no_penalty", "decision not to penalise"),
    ("case", "decide_soft"): _fixed("soft_enforcement", "soft enforcement decided"),
    ("case", "conclude_review"): _review,
    ("case", "decide_enforcement"): _fixed("compulsory_enforcement", "enforcement decided"),
    ("case", "court_orders_enforcement"): _fixed(
        "compulsory_enforcement", "court ordered enforcement"
    ),
    ("publication", "publish"): _fixed("publication", "penalty published"),
    ("publication", "expire"): _fixed("publication_end", "publication expired"),
    ("publication", "stop_early"): _fixed("publication_end", "publication stopped early"),
    ("publication", "withdraw"): _fixed("publication_end", "publication withdrawn"),
    ("transfer", "police_accept"): _fixed("transfer", "criminal case opened on the transfer"),
    ("credit_repair", "approve"): _fixed("repair", "credit repair approved"),
    ("abnormal_list", OPEN): lambda data: Derived(
        "abnormal_list",
        f"listed as abnormal ({data.get('ground')})",
        frozenset({str(data.get("ground"))}),
    ),
    ("abnormal_list", "remove"): _fixed("abnormal_list_end", "removed after the cure"),
    ("abnormal_list", "uphold_objection"): _fixed(
        "abnormal_list_end", "listing corrected on objection"
    ),
    ("commitment", OPEN): lambda data: Derived(
        "commitment", f"commitment: {data.get('item')}", frozenset({str(data.get("kind"))})
    ),
    ("commitment", "confirm"): _fixed("commitment_kept", "commitment checked and true"),
    ("commitment", "find_false"): _fixed("commitment_false", "commitment found false"),
    ("commitment", "repair"): _fixed("commitment_repaired", "false commitment repaired"),
    ("serious_list", "decide_listing"): _fixed("serious_list", "listed as seriously dishonest"),
    ("serious_list", "expire"): _fixed("serious_list_end", "removed after three years"),
    ("serious_list", "remove_early"): _fixed("serious_list_end", "removed early"),
    ("serious_list", "withdraw"): _fixed("serious_list_end", "listing revoked with the penalty"),
    ("attention_list", "decide_listing"): lambda data: Derived(
        "attention_list",
        f"listed for key attention ({data.get('ground')})",
        frozenset({str(data.get("ground"))}),
    ),
    ("attention_list", "remove"): _fixed("attention_list_end", "removed, no new violation"),
    ("attention_list", "approve_removal"): _fixed("attention_list_end", "removed on rectification"),
    ("clue", OPEN): _complaint,
    # a complaint counts once accepted: one not accepted (投诉举报处理暂行办法 第十五条: outside
    # the department's remit, no consumer dispute, too late…) says nothing about the business;
    # the complainant is recorded by the opening step, never copied here
    ("complaint", "accept"): lambda _data: Derived(
        "complaint", "complaint accepted", frozenset({"complaint"}), {"source": "complaint"}
    ),
    ("credit_objection", OPEN): lambda data: Derived(
        "objection",
        f"objection to record {data.get('record')} ({data.get('asks')})",
        concerns=int(data["record"]),
    ),
    ("credit_objection", "uphold"): _fixed(
        "objection_upheld", "objection upheld, record corrected"
    ),
    ("credit_objection", "reject"): _fixed(
        "objection_rejected", "objection rejected, record confirmed"
    ),
    ("record_repair", OPEN): lambda data: Derived(
        "record_repair",
        f"repair of record {data.get('record')} applied for ({data.get('severity')})",
        frozenset({str(data.get("severity"))}),
        concerns=int(data["record"]),
    ),
    ("record_repair", "approve"): _fixed("record_repaired", "record repaired"),
    ("record_repair", "revoke"): _fixed("record_repair_revoked", "repair revoked for deceit"),
}
"""(workflow, step) → what its event becomes in the entity's credit file."""


def derive(workflow: str, trigger: str, data: Mapping[str, Any]) -> Derived | None:
    """The credit record one event gives, or None."""
    rule = DERIVED.get((workflow, trigger))
    return None if rule is None else rule(data)


def flags_text(flags: frozenset[str] | set[str]) -> str:
    """The stored form of flags: comma-framed, sorted (``,heavier,revocation,``)."""
    return "," + "".join(f"{f}," for f in sorted(flags))


BATCH = 5000


def _pending(session: Session) -> Iterator[Sequence[Any]]:
    """Events that give a credit record and have none yet, in batches, oldest first."""
    e, m, r = Event.__table__.c, Matter.__table__.c, CreditRecord.__table__.c
    pairs = sa.tuple_(m.workflow, e.trigger).in_(list(DERIVED))
    after = 0
    while True:
        rows = session.execute(
            sa.select(e.id, e.matter_id, e.trigger, e.occurred_at, e.data, m.workflow, m.entity_id)
            .join(Matter, m.id == e.matter_id)
            .where(
                e.id > after,
                m.entity_id.is_not(None),
                e.trigger.in_({t for _, t in DERIVED}),
                pairs,
                ~sa.exists().where(r.event_id == e.id),
            )
            .order_by(e.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def sync(session: Session, now: datetime) -> int:
    """Add the credit record of every event that gives one and has none yet; returns how many
    were added. Safe to run from several processes: the unique ``event_id`` keeps one each."""
    added = 0
    for rows in _pending(session):
        values = []
        for row in rows:
            data = json.loads(row.data)
            found = derive(row.workflow, row.trigger, data if isinstance(data, dict) else {})
            if found is None:
                continue
            values.append(
                {
                    "entity_id": row.entity_id,
                    "on": row.occurred_at.date(),
                    "kind": found.kind,
                    "flags": flags_text(found.flags),
                    "source": SOURCE,
                    "matter_id": row.matter_id,
                    "event_id": row.id,
                    "summary": found.summary,
                    "concerns": found.concerns,
                    "details": json.dumps(found.details or {}, ensure_ascii=False, sort_keys=True),
                    "recorded_at": now,
                }
            )
        if values:
            added += _insert_new(session, values)
    return added


def _insert_new(session: Session, values: list[dict[str, Any]]) -> int:
    """Insert ``values``, skipping any whose event another process recorded meanwhile; returns
    how many were inserted."""
    table = cast(sa.Table, CreditRecord.__table__)
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=["event_id"])
    return len(conn.execute(stmt.returning(table.c.id), values).all())


@dataclass(frozen=True, slots=True)
class Record:
    """One record of an entity's credit file as read back."""

    id: int
    on: date
    kind: str
    flags: tuple[str, ...]
    source: str
    matter_id: int | None
    summary: str
    details: Mapping[str, Any]
    concerns: int | None = None
    status: str = ""  # disputed, corrected, confirmed, repaired (see :func:`statuses`)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "on": self.on.isoformat(),
            "kind": self.kind,
            "flags": list(self.flags),
            "source": self.source,
            "matter_id": self.matter_id,
            "summary": self.summary,
            "details": dict(self.details),
            "concerns": self.concerns,
            "status": self.status,
        }


OBJECTION = ("objection", "objection_upheld", "objection_rejected")
"""The records of an objection (异议): received (concerning the record), upheld, rejected."""
RECORD_REPAIR = ("record_repair", "record_repaired", "record_repair_revoked")
"""The records of a record's repair (信用信息修复): applied for (concerning the record),
repaired, revoked (obtained by deceit: the record counts again)."""


@functools.cache
def _alias(name: str) -> NamedFromClause:
    """A named alias of ``credit_records``, made once: building one sets up its column
    collection, which costs more than the query it serves when a class is explained."""
    return sa.alias(CreditRecord.__table__, name)


def outcome_on(
    r: Any, opening: str, outcome: str, as_of: date, undone_by: str | None = None
) -> sa.ColumnElement[bool]:
    """Whether a matter opened about the record of ``r`` (its opening record of kind ``opening``
    concerns it) has an ``outcome`` record dated on or before ``as_of`` (and, with
    ``undone_by``, no such record of the same matter undoing it): one probe of the
    ``concerns`` index, then of the matter's."""
    o, u = _alias(f"{opening}_o"), _alias(f"{outcome}_u")
    where = [
        o.c.concerns == r.id,
        o.c.kind == opening,
        u.c.matter_id == o.c.matter_id,
        u.c.kind == outcome,
        u.c.on <= as_of,
    ]
    if undone_by is not None:
        x = _alias(f"{undone_by}_x")
        where.append(
            ~sa.exists().where(
                x.c.matter_id == o.c.matter_id, x.c.kind == undone_by, x.c.on <= as_of
            )
        )
    found: sa.ColumnElement[bool] = sa.exists(sa.select(o.c.id).where(*where))
    return found


def corrected(r: Any, as_of: date) -> sa.ColumnElement[bool]:
    """The record was corrected on an objection upheld on or before ``as_of``: it no longer
    counts anywhere."""
    return outcome_on(r, OBJECTION[0], OBJECTION[1], as_of)


def repaired(r: Any, as_of: date) -> sa.ColumnElement[bool]:
    """The record was repaired on or before ``as_of`` and the repair not revoked: the measures
    it triggered are lifted (it stays a fact of the file)."""
    return outcome_on(r, RECORD_REPAIR[0], RECORD_REPAIR[1], as_of, RECORD_REPAIR[2])


def statuses(records: Sequence[Record]) -> dict[int, str]:
    """Record id → its status from the objection and repair records among ``records`` (one
    entity's): ``disputed`` while an objection runs, ``corrected`` or ``confirmed`` after it
    (the latest objection decides), ``repaired`` while a repair stands."""
    by_matter: dict[int, set[str]] = {}
    for rec in records:
        if rec.matter_id is not None:
            by_matter.setdefault(rec.matter_id, set()).add(rec.kind)
    out: dict[int, str] = {}
    for rec in records:  # oldest first: a later objection or repair overrides an earlier one
        if rec.concerns is None or rec.matter_id is None:
            continue
        kinds = by_matter[rec.matter_id]
        if rec.kind == OBJECTION[0]:
            out[rec.concerns] = (
                "corrected"
                if OBJECTION[1] in kinds
                else "confirmed"
                if OBJECTION[2] in kinds
                else "disputed"
            )
        elif (
            rec.kind == RECORD_REPAIR[0]
            and RECORD_REPAIR[1] in kinds
            and RECORD_REPAIR[2] not in kinds
            and out.get(rec.concerns) != "corrected"
        ):
            out[rec.concerns] = "repaired"
    return out


def records_of(session: Session, entity_id: int) -> list[Record]:
    """The entity's credit records, oldest first, each with its status (:func:`statuses`)."""
    r = CreditRecord.__table__.c
    rows = session.execute(
        sa.select(CreditRecord.__table__).where(r.entity_id == entity_id).order_by(r.on, r.id)
    ).all()
    found = [
        Record(
            row.id,
            row.on,
            row.kind,
            tuple(f for f in row.flags.split(",") if f),
            row.source,
            row.matter_id,
            row.summary,
            json.loads(row.details or "{}"),
            row.concerns,
        )
        for row in rows
    ]
    marks = statuses(found)
    return [
        dataclasses.replace(rec, status=marks[rec.id]) if rec.id in marks else rec for rec in found
    ]
