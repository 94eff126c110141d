"""Rules of the serious violation and dishonesty list (严重违法失信名单, SAMR Order 44, 2021) and
the one definition of a 较重行政处罚 (a heavier penalty) that the list, the credit file and the
classification share.

Periods in years are counted as the Civil Code counts them (民法典 第二百零一条、第二百零三条), as
the credit repair's are (:mod:`zhifa.procedure.credit_repair`): the listing day is not counted,
the period's last day is the corresponding day (28 February for a listing on 29 February), and
the period is complete at the end of that day. So a listing of 15 March 2026 may be removed early
from 16 March 2027 and ends by itself from 16 March 2029.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import add_years
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.shared import follow_ups
from zhifa.store.tables import Event, Matter

ORDER_44 = "市场监督管理严重违法失信名单管理办法"
ART_2 = f"{ORDER_44} 第二条第二款"
ART_12 = f"{ORDER_44} 第十二条"
ART_15 = f"{ORDER_44}（列入满三年移出）"
ART_16 = f"{ORDER_44}；市场监督管理信用修复管理办法（提前移出）"
UPPER_CONSENT = f"{ORDER_44}（县级、设区的市级部门作出列入决定前报经上一级同意）"
# The articles of Order 44 other than 第二条, 第十二条 and 第十九条 were not read in the official text,
# so the rules above cite the measure without an article number.

LISTED_YEARS = 3
"""A listing lasts three years and ends by itself after them."""
EARLY_REMOVAL_YEARS = 1
"""An early removal may be applied for after one year on the list."""

HEAVIER_KINDS = frozenset(
    {
        "qualification_lowering",
        "permit_revocation",
        "production_restriction",
        "production_halt",
        "closure",
        "practice_restriction",
    }
)
"""Penalty kinds that are a 较重行政处罚 whatever the fine (第二条第二款 (二)(三))."""

STANDING = ("proposed", "notified", "heard", "listed", "published", "removal_applied", "revoking")
"""States of a listing that is running or in force: another listing of the same case waits."""
ON_LIST = ("listed", "published", "removal_applied", "revoking")
"""States in which the entity is on the list: decided, and not yet removed or revoked."""


def recorded_money(value: Any) -> Decimal:
    """A money field as recorded in a step's data, as a Decimal; absent or unreadable: zero."""
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def heavier(data: Mapping[str, Any]) -> bool:
    """Whether a penalty decision's data is a 较重行政处罚 (第二条第二款): a kind in
    :data:`HEAVIER_KINDS`, or a fine measured in the heavier tier of the discretion benchmark
    (the tier the discretion check recorded with the decision as ``_discretion``)."""
    if data.get("penalty_kind") in HEAVIER_KINDS:
        return True
    tier = (data.get("_discretion") or {}).get("tier")
    return tier == "heavier" and recorded_money(data.get("fine")) > 0


def removable_from(listed_on: date) -> date:
    """The first day an early removal may be applied for: the day after one full year."""
    return add_years(listed_on, EARLY_REMOVAL_YEARS) + timedelta(days=1)


def listing_ends(listed_on: date) -> date:
    """The last day of the three years on the list; the listing ends by itself the day after."""
    return add_years(listed_on, LISTED_YEARS)


def _listed_on(ctx: StepContext) -> date | None:
    step = next((s for s in reversed(ctx.history) if s.trigger == "decide_listing"), None)
    return None if step is None else step.on


@guard(
    "a listing follows the case that decided a heavier penalty (较重行政处罚)",
    ART_2,
)
def serious_list_after_heavier_penalty(ctx: StepContext, **_: Any) -> GuardResult:
    """Opened to follow a case (--follows) whose decide_penalty step decided a heavier penalty."""
    if ctx.follows is None or ctx.follows.workflow != "case":
        return (
            "a listing follows the case whose penalty grounds it: open it with --follows CASE "
            f"({ART_2})"
        )
    decided = ctx.followed_step("decide_penalty")
    parent = f"case matter {ctx.follows.id}"
    if decided is None:
        return f"{parent} decided no penalty, so nothing grounds a listing ({ART_2})"
    if not heavier(decided.data):
        kind = decided.data.get("penalty_kind")
        tier = (decided.data.get("_discretion") or {}).get("tier") or "no tier recorded"
        return (
            f"{parent} decided {kind} ({tier}), not a heavier penalty (a fine in the heavier tier, "
            "a lowered qualification, a revoked permit or licence, restricted production, a halt, "
            f"a closure or restricted practice), so it grounds no listing ({ART_2})"
        )
    return None  # the engine keeps a follow-up in its parent's department (谁处罚、谁列入)


@guard("one listing of a case runs or is in force at a time", ART_2)
def serious_list_once_per_case(ctx: StepContext, **_: Any) -> GuardResult:
    """Refused while another listing following the same case is running or in force."""
    if ctx.follows is None:
        return None
    standing = [(i, s) for i, s in follow_ups(ctx, ctx.follows.id) if s in STANDING]
    if not standing:
        return None
    other, state = standing[0]
    return (
        f"serious_list matter {other} ({state}) already lists or proposes to list the entity for "
        f"case matter {ctx.follows.id}; one listing of a case at a time ({ART_2})"
    )


@guard(
    "not listed when the party's evidence proves no subjective intent",
    f"{ART_12}第二款",
)
def serious_list_intent_weighed(ctx: StepContext, **_: Any) -> GuardResult:
    """A listing is refused when the statement recorded evidence enough to prove no subjective
    intent (第十二条第二款): decide not to list instead."""
    if ctx.earlier("hear_statement", "no_intent_proven") is True:
        return (
            "the party's evidence proves no subjective intent, so the entity is not listed "
            f"({ART_12}第二款); take decide_not_to_list"
        )
    return None


@guard(
    "where required, the upper level consented before the listing was decided",
    UPPER_CONSENT,
    needs_data=True,
)
def serious_list_upper_consent(ctx: StepContext, required: bool = True, **_: Any) -> GuardResult:
    """With ``required`` (the baseline's setting; a department whose rules dropped it sets it
    false in its workflow), the decision names the upper-level body that consented and the day,
    no later than the decision."""
    if not required:
        return None
    body = str(ctx.data.get("upper_consent_body") or "").strip()
    raw = ctx.data.get("upper_consent_on")
    if not body or raw is None:
        return (
            "a listing needs the consent of the upper-level department first: give "
            f"upper_consent_body and upper_consent_on ({UPPER_CONSENT})"
        )
    if date.fromisoformat(str(raw)) > ctx.at.date():
        return (
            f"the consent of {raw} comes after the decision of {ctx.at.date()}; consent is given "
            f"before the listing is decided ({UPPER_CONSENT})"
        )
    return None


@guard("early removal is applied for after one full year on the list", ART_16)
def serious_list_removal_in_time(ctx: StepContext, **_: Any) -> GuardResult:
    """An application for early removal is made from the day after one full year on the list,
    and before the three years end (after them the listing ends by itself)."""
    listed = _listed_on(ctx)
    if listed is None:
        return f"the listing day is not recorded, so no removal can be applied for ({ART_16})"
    day, first, last = ctx.at.date(), removable_from(listed), listing_ends(listed)
    if day < first:
        return (
            f"listed on {listed}, the entity may apply for early removal from {first}, after one "
            f"full year on the list, not on {day} ({ART_16})"
        )
    if day > last:
        return (
            f"the three years on the list ended on {last}; the listing ends by itself (expire), "
            f"nothing is left to remove early ({ART_15})"
        )
    return None


def heavier_penalties_since(ctx: StepContext, after: date) -> list[int]:
    """The case matters of the step's entity that decided a heavier penalty after ``after``,
    read from the record (the events of every department)."""
    if ctx.entity_id is None:
        return []
    rows = ctx.session.execute(
        sa.select(Event.matter_id, Event.occurred_at, Event.data)
        .join(Matter, Matter.id == Event.matter_id)
        .where(
            Matter.entity_id == ctx.entity_id,
            Matter.workflow == "case",
            Event.trigger.in_(("decide_penalty", "decide_on_the_spot")),
        )
        .order_by(Event.id)
    ).all()
    return [
        int(r.matter_id)
        for r in rows
        if r.occurred_at.date() > after and heavier(json.loads(r.data))
    ]


@guard(
    "early removal only when every condition holds and no heavier penalty followed the listing",
    ART_16,
    needs_data=True,
)
def serious_list_early_removal(ctx: StepContext, **_: Any) -> GuardResult:
    """Every condition of an early removal: obligations performed, harm eliminated, measures with
    a legal term expired, the integrity commitment given (at the application), and no further
    heavier penalty of the entity decided since the listing (from the record)."""
    problems = []
    for name, wrong in (
        ("obligations_performed", "the obligations of the penalty decision are not all performed"),
        ("harm_eliminated", "the harmful consequences and adverse effects are not eliminated"),
        ("measures_expired", "a management measure with a legal term has not expired"),
    ):
        if ctx.data.get(name) is not True:
            problems.append(f"{name}: {wrong} ({ART_16})")
    if ctx.earlier("apply_for_removal", "commitment_submitted") is not True:
        problems.append(
            f"commitment_submitted: no integrity commitment (守信承诺书) was given ({ART_16})"
        )
    listed = _listed_on(ctx)
    later = heavier_penalties_since(ctx, listed) if listed is not None else []
    if later:
        cases = ", ".join(str(i) for i in later)
        problems.append(
            f"case matter {cases} decided another heavier penalty of the entity after the listing "
            f"of {listed}; the entity stays on the list ({ART_16})"
        )
    return problems or None


@guard("a listing ends by itself after three full years", ART_15)
def serious_list_expired(ctx: StepContext, **_: Any) -> GuardResult:
    """Removed at expiry from the day after the three years on the list."""
    listed = _listed_on(ctx)
    if listed is None:
        return f"the listing day is not recorded ({ART_15})"
    last = listing_ends(listed)
    if ctx.at.date() <= last:
        return (
            f"listed on {listed}, the entity stays on the list through {last}; it is removed at "
            f"expiry from {last + timedelta(days=1)} ({ART_15})"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
