"""Rules of the key-attention list (重点关注名单): minor or ordinary violations that accumulate in a
short time, the interview (约谈) that reminds the entity, the listing when the reminder changed
nothing, the risk warning, and the removal (周改办发〔2020〕4号《差异化监管流程再造实施方案》
二（四）三是“加强风险防控预警”: 建立轻微或一般违法失信积累关注机制，对市场主体在短期内反复出现的多次违法
失信行为，及时提醒约谈；经提醒仍无改观的，移入重点关注企业名单，向有关部门发出监管风险预警).

The plan fixes no number of violations, no "short time" and no period on the list: the count, the
months of the window, the working days to the interview and to the warning and the months without a
new violation before a removal are guard and clock settings of ``workflows/attention_list.yaml``,
which a department changes in its own version.

**What counts as a minor violation** is read from the record, never typed: see
:mod:`zhifa.procedure.minor_violations`.

**Windows.** A violation dated ``on`` counts on a day ``as_of`` of a window of ``months`` when
``window_start(as_of, months) <= on <= as_of`` (:func:`zhifa.rules.credit.window_start`: the
credit file's windows, counted as the Civil Code counts periods): on 15 March 2027 a 12-month
window starts on 15 March 2026. Violations on or before the day an earlier key-attention matter of
the entity ended (resolved at the interview, or removed) were dealt with there and do not count
again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import add_months
from zhifa.hooks.types import EFFECTS_KEY, GuardResult, StepContext, guard, guards_in
from zhifa.procedure.minor_violations import MinorViolation, minor_violations
from zhifa.rules.credit import window_start
from zhifa.store.tables import Event, Matter

PLAN = "周改办发〔2020〕4号《差异化监管流程再造实施方案》二（四）三"

EFFECT = "violations_counted"
"""The effect under which the opening and the listing record the violations they counted."""
STANDING = ("noticed", "interviewed", "listed", "warned", "removal_applied")
"""States of a matter that is running or in force: the entity is not noticed a second time."""
ENDED = ("resolved", "removed", "removed_early")
"""States of a matter that dealt with the violations it counted."""


def _ended_on(ctx: StepContext) -> date | None:
    """The day the entity's latest key-attention matter that dealt with its violations ended."""
    if ctx.entity_id is None:
        return None
    last = ctx.session.scalar(
        sa.select(sa.func.max(Event.occurred_at))
        .join(Matter, Matter.id == Event.matter_id)
        .where(
            Matter.entity_id == ctx.entity_id,
            Matter.workflow == ctx.definition.name,
            Matter.state.in_(ENDED),
            Event.to_state.in_(ENDED),
        )
    )
    return None if last is None else last.date()


def _listed(violations: Sequence[MinorViolation]) -> str:
    return "; ".join(v.label() for v in violations) or "none"


def _record(
    ctx: StepContext, first: date, violations: Sequence[MinorViolation], **more: Any
) -> None:
    ctx.effect(
        EFFECT,
        {
            "from": first.isoformat(),
            "through": ctx.at.date().isoformat(),
            "count": len(violations),
            "violations": [v.as_dict() for v in violations],
            **more,
        },
    )


@guard(
    "the entity has the set number of minor violations on record within the window (read from "
    "the record)",
    PLAN,
)
def attention_list_threshold(
    ctx: StepContext, count: int = 3, months: int = 12, **_: Any
) -> GuardResult:
    """At least ``count`` minor violations of the entity dated within the ``months`` before the
    opening day (that day included), counted from the record; violations dealt with by an
    earlier key-attention matter of the entity do not count again. The opening's event records
    the violations counted (effect ``violations_counted``)."""
    if ctx.entity_id is None:
        return f"a key-attention matter concerns one market entity: open it with --entity ({PLAN})"
    day = ctx.at.date()
    first = window_start(day, months)
    ended = _ended_on(ctx)
    why = ""
    if ended is not None and ended >= first:
        first, why = ended + timedelta(days=1), f", after the earlier matter ended on {ended}"
    found = minor_violations(ctx.session, ctx.entity_id, first, day)
    if len(found) < count:
        return (
            f"the entity has {len(found)} minor violation(s) on record from {first} to {day}"
            f"{why} ({_listed(found)}), fewer than the {count} within {months} months that "
            "call for an interview and the key-attention list; open the matter once further "
            f"violations are decided or recorded ({PLAN})"
        )
    _record(ctx, first, found, threshold=count, months=months)
    return None


@guard("an entity is on one key-attention matter at a time", PLAN)
def attention_list_once(ctx: StepContext, **_: Any) -> GuardResult:
    """Refused while another key-attention matter of the entity is running or in force."""
    if ctx.entity_id is None:
        return None
    other = ctx.session.execute(
        sa.select(Matter.id, Matter.state).where(
            Matter.entity_id == ctx.entity_id,
            Matter.workflow == ctx.definition.name,
            Matter.state.in_(STANDING),
        )
    ).first()
    if other is None:
        return None
    return (
        f"the entity is already on attention_list matter {other.id} ({other.state}); it is "
        f"noticed and listed once at a time, so continue that matter ({PLAN})"
    )


def _interviewed_on(ctx: StepContext) -> date | None:
    step = next((s for s in reversed(ctx.history) if s.trigger == "interview"), None)
    return None if step is None else step.on


def _listed_on(ctx: StepContext) -> date | None:
    step = next((s for s in reversed(ctx.history) if s.trigger == "decide_listing"), None)
    return None if step is None else step.on


def _since(ctx: StepContext, after: date) -> list[MinorViolation]:
    """The entity's minor violations dated after ``after`` through the step's day."""
    if ctx.entity_id is None:
        return []
    day = ctx.at.date()
    return minor_violations(ctx.session, ctx.entity_id, after + timedelta(days=1), day)


def _date(ctx: StepContext, name: str) -> date | None:
    raw = ctx.data.get(name)
    return None if raw is None else date.fromisoformat(str(raw))


@guard(
    "the interview names the entity's participants and, when a correction is agreed, a deadline "
    "after it",
    PLAN,
    needs_data=True,
)
def attention_list_interview_held(ctx: StepContext, **_: Any) -> GuardResult:
    """An interview the entity attended names who attended for it; a correction deadline agreed
    (``rectify_by``) falls after the interview."""
    problems = []
    if (
        ctx.data.get("attended") is True
        and not str(ctx.data.get("entity_participants") or "").strip()
    ):
        problems.append(
            "name who attended the interview for the entity (entity_participants): its legal "
            f"representative or the person in charge and their posts ({PLAN})"
        )
    deadline = _date(ctx, "rectify_by")
    if deadline is not None and deadline <= ctx.at.date():
        problems.append(
            f"the correction agreed at the interview of {ctx.at.date()} is due after it, not on "
            f"{deadline}; give the agreed deadline in rectify_by ({PLAN})"
        )
    return problems or None


@guard(
    "the reminder changed nothing: a new minor violation after the interview, a correction not "
    "made by its deadline, or the interview refused (read from the record)",
    PLAN,
    needs_data=True,
)
def attention_list_no_improvement(ctx: StepContext, **_: Any) -> GuardResult:
    """The ground of a listing holds: ``new_violation`` needs a minor violation dated after the
    interview on record (recorded with the listing, effect ``violations_counted``);
    ``not_rectified`` a correction deadline agreed at the interview that has passed;
    ``interview_refused`` an interview the entity did not attend."""
    interviewed = _interviewed_on(ctx)
    if interviewed is None:
        return f"no interview is recorded; the entity is reminded before it is listed ({PLAN})"
    ground, day = ctx.data.get("ground"), ctx.at.date()
    if ground == "new_violation":
        found = _since(ctx, interviewed)
        if not found:
            return (
                "no minor violation of the entity is on record after the interview of "
                f"{interviewed}, so nothing shows the reminder failed; list it once a new "
                f"violation is decided or recorded, or resolve the matter ({PLAN})"
            )
        _record(ctx, interviewed + timedelta(days=1), found, ground=ground)
        return None
    if ground == "not_rectified":
        raw = ctx.earlier("interview", "rectify_by")
        if raw is None:
            return (
                "the interview agreed no correction deadline (rectify_by), so a correction "
                f"cannot be late; give another ground ({PLAN})"
            )
        if day <= date.fromisoformat(str(raw)):
            return (
                f"the correction agreed at the interview is due by {raw}; the entity is listed "
                f"for not correcting only from the day after, not on {day} ({PLAN})"
            )
        return None
    if ctx.earlier("interview", "attended") is not False:
        return (
            f"the entity attended the interview of {interviewed}, so it did not refuse it; give "
            f"another ground ({PLAN})"
        )
    return None


@guard(
    "the interview changed things: no new minor violation since it (read from the record) and the "
    "agreed correction made on time",
    PLAN,
    needs_data=True,
)
def attention_list_improved(ctx: StepContext, **_: Any) -> GuardResult:
    """Resolved without listing only when the entity attended the interview, no minor violation
    of it is on record after the interview, and a correction agreed there (``rectify_by``) was
    made (``rectified_on``) by its deadline and not after this step."""
    interviewed = _interviewed_on(ctx)
    if interviewed is None:
        return f"no interview is recorded; the entity is reminded first ({PLAN})"
    problems = []
    if ctx.earlier("interview", "attended") is False:
        problems.append(
            f"the entity did not attend the interview of {interviewed}, which shows no change; "
            f"take decide_listing with ground interview_refused instead ({PLAN})"
        )
    found = _since(ctx, interviewed)
    if found:
        problems.append(
            f"the entity has a minor violation on record after the interview of {interviewed} "
            f"({_listed(found)}), so the reminder changed nothing; take decide_listing with "
            f"ground new_violation instead ({PLAN})"
        )
    raw = ctx.earlier("interview", "rectify_by")
    done = _date(ctx, "rectified_on")
    if raw is not None:
        due = date.fromisoformat(str(raw))
        if done is None:
            problems.append(
                f"the interview agreed a correction by {due}: give the day it was made in "
                f"rectified_on ({PLAN})"
            )
        elif done > due:
            problems.append(
                f"the correction agreed at the interview was due by {due} and made on {done}, "
                f"late; take decide_listing with ground not_rectified instead ({PLAN})"
            )
    if done is not None and done > ctx.at.date():
        problems.append(
            f"rectified_on {done} is after this step of {ctx.at.date()}; give the day the "
            f"correction was made ({PLAN})"
        )
    return problems or None


@guard(
    "the risk notice was served on the entity on or after the listing day and not after this step",
    PLAN,
    needs_data=True,
)
def attention_list_warning_served(ctx: StepContext, **_: Any) -> GuardResult:
    """The risk notice (风险提示) given to the entity is dated from the listing day to the step."""
    served, listed = _date(ctx, "entity_served_on"), _listed_on(ctx)
    if served is None or listed is None:
        return None
    if not listed <= served <= ctx.at.date():
        return (
            f"the risk notice is served on the entity from the listing of {listed} to this step "
            f"of {ctx.at.date()}, not on {served}; give the day it was served ({PLAN})"
        )
    return None


def _counted_at_opening(ctx: StepContext) -> Mapping[str, Any] | None:
    """What the opening's event recorded it counted (effect ``violations_counted``), or None."""
    if ctx.matter is None:
        return None
    raw = ctx.session.scalar(
        sa.select(Event.data).where(Event.matter_id == ctx.matter.id).order_by(Event.seq).limit(1)
    )
    effects = json.loads(raw).get(EFFECTS_KEY) or () if raw is not None else ()
    return next((e.get("payload") for e in effects if e.get("kind") == EFFECT), None)


@guard(
    "the violations that opened the matter are still on record in the set number (read from the "
    "record)",
    PLAN,
)
def attention_list_still_grounded(ctx: StepContext, **_: Any) -> GuardResult:
    """Counted again from the first day of the opening's window to the listing day: a penalty
    revoked on review or a finding the case cleared since the opening no longer counts, and the
    entity is not listed when fewer than the opening's threshold remain."""
    counted = _counted_at_opening(ctx)
    if counted is None or ctx.entity_id is None:
        return f"the opening recorded no count of violations, so nothing grounds a listing ({PLAN})"
    first, day = date.fromisoformat(str(counted["from"])), ctx.at.date()
    found = minor_violations(ctx.session, ctx.entity_id, first, day)
    if len(found) >= int(counted["threshold"]):
        return None
    return (
        f"of the minor violations counted at the opening, from {first}, {len(found)} remain on "
        f"record on {day} ({_listed(found)}), fewer than the {counted['threshold']} that ground "
        f"a listing, as a review or a later decision removed some; resolve the matter ({PLAN})"
    )


def clean_until(listed_on: date, latest: date | None, months: int) -> date:
    """The last day of the ``months`` without a new violation: counted from the listing day, or
    from the latest minor violation after it (the day itself not counted)."""
    start = max(listed_on, latest) if latest is not None else listed_on
    return add_months(start, months)


@guard(
    "removed after the set months on the list without a new minor violation (read from the record)",
    PLAN,
)
def attention_list_clean_period(ctx: StepContext, months: int = 12, **_: Any) -> GuardResult:
    """Removed from the day after ``months`` months without a new minor violation: from the
    listing day, or from the latest minor violation on record after it."""
    listed = _listed_on(ctx)
    if listed is None:
        return f"the listing day is not recorded, so nothing can be removed ({PLAN})"
    found = _since(ctx, listed)
    latest = found[-1].on if found else None
    last = clean_until(listed, latest, months)
    day = ctx.at.date()
    if day <= last:
        since = f"the violation of {found[-1].label()}" if found else f"the listing of {listed}"
        return (
            f"{months} months without a new minor violation since {since} end on {last}; the "
            f"entity is removed from {last + timedelta(days=1)}, not on {day} ({PLAN})"
        )
    return None


@guard(
    "an early removal on rectification: rectified on or after the listing day and not after this "
    "step",
    PLAN,
    needs_data=True,
)
def attention_list_rectified(ctx: StepContext, **_: Any) -> GuardResult:
    """The rectification an early removal rests on was made from the listing day to the step."""
    done, listed = _date(ctx, "rectified_on"), _listed_on(ctx)
    if done is None or listed is None:
        return None
    if not listed <= done <= ctx.at.date():
        return (
            f"the rectification for an early removal is made from the listing of {listed} to the "
            f"application of {ctx.at.date()}, not on {done}; give the day it was made ({PLAN})"
        )
    return None


@guard(
    "an early removal only when no minor violation followed the listing (read from the record)",
    PLAN,
)
def attention_list_none_since_listing(ctx: StepContext, **_: Any) -> GuardResult:
    """Refused when a minor violation of the entity dated after the listing day is on record:
    the rectification did not hold."""
    listed = _listed_on(ctx)
    if listed is None:
        return f"the listing day is not recorded, so nothing can be removed ({PLAN})"
    found = _since(ctx, listed)
    if found:
        return (
            f"the entity has a minor violation on record after the listing of {listed} "
            f"({_listed(found)}), so the rectification did not hold; refuse the early removal "
            f"and remove it after the months without a new violation ({PLAN})"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
