"""Rules of an objection to a credit record (信用信息异议, workflow ``credit_objection``).

The record disputed must be in the file of the matter's entity (as ``zhifa entity show`` lists
it), made by this department from its own record (a record imported from another body is
disputed with that body; an objection or a repair is not itself disputed), not corrected on an
earlier objection, and not under another objection still running. What an upheld objection
does, the credit file does (:func:`zhifa.credit.records.corrected`): the record stops counting
in classes and joint measures, and shows as corrected.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.store.tables import CreditRecord, Event, Matter
from zhifa.workflow.definitions import OPEN

WORKFLOW = "credit_objection"
BASIS = "谁认定、谁负责 (the body that made a record answers objections to it)"
NOT_DISPUTED = frozenset(
    {"objection", "objection_upheld", "objection_rejected", "record_repair", "record_repaired"}
)
"""Kinds of record an objection is not about: objections and repairs themselves."""


def record_in_file(ctx: StepContext, number: int) -> tuple[Any, list[str]]:
    """The credit record ``number`` of the matter's entity, and every fault of opening a matter
    about it in this department (shared by objections and repairs)."""
    if ctx.entity_id is None:
        return None, ["open it for the entity whose record it is (--entity)"]
    r = CreditRecord.__table__.c
    row = ctx.session.execute(
        sa.select(r.id, r.entity_id, r.kind, r.source, r.matter_id, r.on).where(r.id == number)
    ).first()
    if row is None or row.entity_id != ctx.entity_id:
        return None, [
            f"record {number} is not in this entity's credit file; `zhifa entity show` lists "
            "its records with their numbers"
        ]
    if row.matter_id is None:
        return row, [
            f"record {number} was imported from {row.source}; it is answered by that body "
            f"({BASIS}), and its correction arrives with the next import of that source"
        ]
    made_by = ctx.session.scalar(
        sa.select(Matter.department_code).where(Matter.id == row.matter_id)
    )
    if made_by != ctx.department:
        return row, [
            f"record {number} was made by department {made_by}; open this matter there ({BASIS})"
        ]
    return row, []


def matters_about(ctx: StepContext, workflow: str, number: int) -> list[tuple[int, str]]:
    """(matter id, state) of every ``workflow`` matter of the entity whose opening names the
    record ``number`` (its ``record`` field)."""
    m, e = Matter.__table__.c, Event.__table__.c
    rows = ctx.session.execute(
        sa.select(m.id, m.state, e.data)
        .join(Event.__table__, sa.and_(e.matter_id == m.id, e.trigger == OPEN))
        .where(m.entity_id == ctx.entity_id, m.workflow == workflow)
    ).all()
    return [(row.id, row.state) for row in rows if json.loads(row.data).get("record") == number]


@guard("the disputed record is this entity's, made by this department, and free to dispute", BASIS)
def credit_objection_record(ctx: StepContext, **_: Any) -> GuardResult:
    """The record is in the entity's file, made here from zhifa's own record, not an objection
    or repair, not corrected already, and under no other running objection."""
    number = int(ctx.data.get("record") or 0)
    row, problems = record_in_file(ctx, number)
    if row is None or problems:
        return problems
    if row.kind in NOT_DISPUTED:
        return f"record {number} is an objection or a repair ({row.kind}); dispute the record it concerns"
    for other, state in matters_about(ctx, WORKFLOW, number):
        if state == "received":
            return f"record {number} is disputed already in matter {other}; decide that objection first"
        if state == "upheld":
            return f"record {number} was corrected on the objection of matter {other}; nothing is left to dispute"
    return None


GUARDS = guards_in(globals())
