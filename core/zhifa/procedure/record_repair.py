"""Rules of the repair of a dishonesty record (信用信息修复, workflow ``record_repair``) under the
NDRC regime by date (:mod:`zhifa.rules.repair`).

Who repairs: the department that made the record (谁认定、谁修复); a record imported from
another body is repaired there and its repair arrives with the next import. What may be
repaired: a penalty or a false commitment (the listings and a penalty's publication on the
enterprise credit publicity system have their own workflows, named in the refusals). When: from
the day after the regime's minimum period is complete through the last day of its maximum
(after which publication has stopped of itself). On what conditions: corrected, obligations
performed, a public credit commitment. Who may not: an entity whose earlier repair was revoked
for deceit, for the years the guard gives from the revocation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import add_years
from zhifa.errors import InputError
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.credit_objection import matters_about, record_in_file
from zhifa.rules.repair import window
from zhifa.store.tables import Event, Matter

WORKFLOW = "record_repair"
NDRC = "信用修复管理办法（国家发展改革委）"
REPAIRABLE = frozenset({"penalty", "commitment_false"})
ELSEWHERE = {
    "abnormal_list": "removed on cure in its abnormal_list matter (apply_for_removal)",
    "serious_list": "removed early in its serious_list matter (apply_for_removal)",
    "publication": "ended early by the credit_repair workflow following the publication",
}
PENDING = ("applied", "repaired", "closed")
CONDITIONS = {
    "corrected": "the violation corrected",
    "obligations_performed": "the obligations performed",
    "public_commitment": "a public credit commitment made",
}


@guard(
    "the record is this entity's dishonesty record, made by this department",
    f"{NDRC}（谁认定、谁修复）",
)
def record_repair_record(ctx: StepContext, **_: Any) -> GuardResult:
    """A penalty or a false commitment of the entity, made here, not repaired or being repaired."""
    number = int(ctx.data.get("record") or 0)
    row, problems = record_in_file(ctx, number)
    if row is None or problems:
        return problems
    if row.kind in ELSEWHERE:
        return f"record {number} ({row.kind}) is {ELSEWHERE[row.kind]}"
    if row.kind not in REPAIRABLE:
        return (
            f"record {number} ({row.kind}) is no dishonesty record; a repair concerns a penalty "
            f"or a false commitment ({NDRC})"
        )
    for other, state in matters_about(ctx, WORKFLOW, number):
        if state in PENDING:
            return f"record {number} is repaired or being repaired in matter {other}"
    return None


@guard(
    "applied for after the regime's minimum period and before publication stopped of itself",
    f"{NDRC}；国家发展改革委令第58号",
    needs_data=True,
)
def record_repair_period(
    ctx: StepContext, transition: str = "finding_date", **_: Any
) -> GuardResult:
    """From the day after the minimum period (counted from the day the record was found, that
    day not counted) through the last day of the maximum, under the regime ``transition``
    chooses (:func:`zhifa.rules.repair.window`)."""
    number = int(ctx.data.get("record") or 0)
    row, problems = record_in_file(ctx, number)
    if row is None or problems:
        return None  # the record's own guard says why
    day = ctx.at.date()
    try:
        w = window(row.on, str(ctx.data.get("severity")), day, transition)
    except InputError as exc:
        return exc.message
    period = w.regime.periods[w.severity]
    if day < w.first_day:
        return (
            f"a {w.severity} record found on {w.found_on} is published at least "
            f"{period.min_months} months under {w.regime.label}: a repair may be applied for "
            f"from {w.first_day}, not on {day}"
        )
    if day > w.last_published:
        return (
            f"a {w.severity} record found on {w.found_on} is published at most "
            f"{period.max_months} months under {w.regime.label}: its publication stopped of "
            f"itself after {w.last_published}, so nothing is left to repair"
        )
    return None


@guard(
    "the violation corrected, the obligations performed, a public commitment made",
    NDRC,
    needs_data=True,
)
def record_repair_conditions(ctx: StepContext, **_: Any) -> GuardResult:
    """Every condition holds (each one missing is named)."""
    return [
        f"a repair needs {text} ({field} is false; {NDRC})"
        for field, text in CONDITIONS.items()
        if ctx.data.get(field) is not True
    ]


@guard("no repair of the entity was revoked for deceit in the years before", NDRC)
def record_repair_not_barred(ctx: StepContext, years: int = 3, **_: Any) -> GuardResult:
    """Refused while a repair of the entity revoked for deceit is less than ``years`` old (a
    revocation on 10 May 2026 bars through 10 May 2029, three years)."""
    if ctx.entity_id is None:
        return None
    m, e = Matter.__table__.c, Event.__table__.c
    revoked = ctx.session.execute(
        sa.select(m.id, sa.func.max(e.occurred_at))
        .join(Event.__table__, e.matter_id == m.id)
        .where(m.entity_id == ctx.entity_id, m.workflow == WORKFLOW, e.trigger == "revoke")
        .group_by(m.id)
    ).all()
    day = ctx.at.date()
    for matter_id, at in revoked:
        until = add_years(at.date(), years)
        if day <= until:
            return (
                f"the repair of matter {matter_id} was revoked for deceit on {at.date()}; a new "
                f"repair may be applied for from {until + timedelta(days=1)} ({years} years, {NDRC})"
            )
    return None


GUARDS = guards_in(globals())
