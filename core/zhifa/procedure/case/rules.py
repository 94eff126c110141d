"""The rules of the ``case`` workflow (行政处罚案件) that need more than its state graph.

Thresholds that the law leaves to departments are documented defaults:

* simple procedure (Art 51): a warning, or a fine of at most 200 yuan for a person and 3,000 yuan
  for an organisation;
* hearing (Art 63): a fine or confiscation of at least 5,000 yuan for a person or 100,000 yuan for
  an organisation ("较大数额", the example of the market regulation rules), or revoking a permit,
  lowering a qualification, a halt of production or business, closure or a practice restriction;
* periods: the law's "5 days" and "7 days" are working days (Art 85); the 15 days to pay are
  calendar days from the day the party received the decision, moved to the next working day when
  they end on a day off.

Each guard returns None or reasons that cite the article refusing the step. Guards read the
matter's earlier steps through ``ctx.history`` (dates, triggers, states) and ``ctx.earlier`` (the
latest fields recorded by a trigger).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import WorkCalendar
from zhifa.errors import InputError
from zhifa.hooks.types import Guard, GuardResult, StepContext
from zhifa.rules import Facts, check_decision, discretion
from zhifa.store.tables import Event
from zhifa.workflow.deadlines import Step

ART_27 = "行政处罚法 第二十七条"
ART_33 = "行政处罚法 第三十三条"
ART_42 = "行政处罚法 第四十二条"
ART_43 = "行政处罚法 第四十三条"
ART_44 = "行政处罚法 第四十四条、第六十二条"
ART_45 = "行政处罚法 第四十五条"
ART_51 = "行政处罚法 第五十一条"
ART_54 = "行政处罚法 第五十四条"
ART_57 = "行政处罚法 第五十七条"
ART_57_2 = "行政处罚法 第五十七条第二款"
ART_58 = "行政处罚法 第五十八条"
ART_63 = "行政处罚法 第六十三条"
ART_64 = "行政处罚法 第六十四条"
ART_67 = "行政处罚法 第六十七条"
ART_72 = "行政处罚法 第七十二条、第七十三条"
SAMR_64 = "市场监督管理行政处罚程序规定 第六十四条"

PERSON = "person"
ORGANISATION = "organisation"
SIMPLE_LIMIT = {PERSON: Decimal(200), ORGANISATION: Decimal(3000)}
"""The largest fine the simple procedure may impose (Art 51)."""
HEARING_THRESHOLD = {PERSON: Decimal(5000), ORGANISATION: Decimal(100000)}
"""The smallest fine or confiscation that carries the right to a hearing (Art 63; local default)."""
HEARING_KINDS = frozenset(
    {
        "permit_revocation",
        "qualification_lowering",
        "production_halt",
        "closure",
        "practice_restriction",
    }
)
"""Penalty kinds that always carry the right to a hearing (Art 63)."""
LIGHTER_KINDS = frozenset({"warning", "circulated_criticism"})
"""Kinds lighter than any other: a decision may fall back to them without a new notice."""

REQUEST_DAYS = 5  # working days to request a hearing after the notice (Art 64 (1))
HEARING_NOTICE_DAYS = 7  # working days between the hearing notice and the hearing (Art 64 (2))
PAYMENT_DAYS = 15  # calendar days to pay after receiving the decision (Art 67)
SURCHARGE_RATE = Decimal("0.03")  # of the fine, per day late (Art 72)
CENT = Decimal("0.01")

ART58_FLAGS = {
    "major_public_interest": "it involves a major public interest",
    "complex": "it is difficult or complex",
    "major_rights": "it directly affects major rights",
}
ART57_FLAGS = {"complex": "complex", "major_violation": "a major violation"}
HEADS = frozenset({"head", "principal_head"})
PENALTY_DECISIONS = ("decide_penalty", "decide_on_the_spot")
DECISIONS = (*PENALTY_DECISIONS, "decide_no_penalty", "decide_soft")
EXECUTION_ENDS = ("record_payment", "record_enforced", "end_execution", "court_refuses")
"""Steps after which a decided fine needs nothing more before the case is closed."""


# -- pure helpers --------------------------------------------------------------------------------


def money(value: Any) -> Decimal:
    """A recorded money field as a Decimal; an absent one is zero."""
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def simple_procedure_problem(party_kind: str, kind: str, fine: Decimal) -> str | None:
    """Why a penalty cannot be decided on the spot (Art 51), or None.

    >>> simple_procedure_problem("person", "fine", Decimal(200)) is None
    True
    """
    if kind == "warning":
        if fine > 0:
            return f"a warning carries no fine; choose the penalty kind fine ({ART_51})"
        return None
    if kind != "fine":
        return f"on the spot only a warning or a fine may be decided ({ART_51})"
    if fine <= 0:
        return f"give the amount of the fine ({ART_51})"
    limit = SIMPLE_LIMIT[party_kind]
    if fine > limit:
        who = "a person" if party_kind == PERSON else "an organisation"
        return (
            f"a fine of {fine} yuan on {who} is above the {limit} yuan the simple procedure "
            f"allows ({ART_51}); open the case under the ordinary procedure"
        )
    return None


def hearing_required(party_kind: str, kind: str, fine: Decimal, confiscation: Decimal) -> bool:
    """Whether the proposed penalty carries the right to request a hearing (Art 63 defaults)."""
    threshold = HEARING_THRESHOLD[party_kind]
    return kind in HEARING_KINDS or fine >= threshold or confiscation >= threshold


def payment_due(received: date, calendar: WorkCalendar) -> date:
    """The last day to pay a fine: 15 days after the party received the decision (Art 67).

    The day of receipt is not counted; a period ending on a day off ends on the next working day.
    """
    return calendar.add_calendar_days(received, PAYMENT_DAYS).due


def late_surcharge(fine: Decimal, due_date: date, paid_on: date, paused_days: int = 0) -> Decimal:
    """The late-payment surcharge (加处罚款) owed when ``fine`` due on ``due_date`` is paid on ``paid_on``.

    3% of the fine for each day after ``due_date`` up to and including ``paid_on``, leaving out
    ``paused_days`` (days of an administrative review or lawsuit, Art 73), rounded to the fen and
    never more than the fine itself (Art 72). A payment on or before the due date owes nothing.

    >>> late_surcharge(Decimal(1000), date(2026, 3, 17), date(2026, 3, 18))
    Decimal('30.00')
    """
    days = max(0, (paid_on - due_date).days - max(0, paused_days))
    amount = (fine * SURCHARGE_RATE * days).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(amount, fine.quantize(CENT, rounding=ROUND_HALF_UP))


def periods_in(history: Sequence[Step], state: str) -> list[tuple[date, date | None]]:
    """The periods the matter spent in ``state``: (day it entered, day it left or None)."""
    periods: list[tuple[date, date | None]] = []
    for step in history:
        inside = bool(periods) and periods[-1][1] is None
        if step.to_state == state and not inside:
            periods.append((step.on, None))
        elif step.to_state != state and inside:
            periods[-1] = (periods[-1][0], step.on)
    return periods


def days_within(periods: Sequence[tuple[date, date | None]], after: date, through: date) -> int:
    """Days ``d`` with ``after < d <= through`` that fall in a period (began < d <= ended)."""
    count, day = 0, after
    while day < through:
        day += timedelta(days=1)
        count += any(b < day and (e is None or day <= e) for b, e in periods)
    return count


def _last(history: Sequence[Step], *triggers: str) -> int | None:
    """Index of the latest step with one of ``triggers``, or None."""
    for i in range(len(history) - 1, -1, -1):
        if history[i].trigger in triggers:
            return i
    return None


def _after(history: Sequence[Step], trigger: str, index: int | None) -> int | None:
    """Index of the latest ``trigger`` step if it comes after ``index`` (None: any), else None."""
    found = _last(history, trigger)
    if found is None or (index is not None and found < index):
        return None
    return found


def _handler_changes(ctx: StepContext) -> list[tuple[str, list[str]]]:
    """Withdrawals and handlers named after them, oldest first: ("recuse", [officer]) or
    ("name_handlers", [handlers])."""
    if ctx.matter is None:
        return []
    rows = ctx.session.execute(
        sa.select(Event.trigger, Event.data)
        .where(Event.matter_id == ctx.matter.id, Event.trigger.in_(("recuse", "name_handlers")))
        .order_by(Event.seq)
    )
    changes = []
    for trigger, raw in rows:
        data = json.loads(raw)
        named = [data["officer"]] if trigger == "recuse" else list(data.get("handlers") or ())
        changes.append((trigger, [str(n) for n in named]))
    return changes


def current_handlers(ctx: StepContext) -> list[str]:
    """The case's handlers now: those named at filing, less those who withdrew, plus those named
    after a withdrawal (Art 42, 43)."""
    handlers = [str(h) for h in ctx.earlier("open", "handlers") or ()]
    for trigger, officers in _handler_changes(ctx):
        if trigger == "recuse":
            handlers = [h for h in handlers if h not in officers]
        else:
            handlers += [o for o in officers if o not in handlers]
    return handlers


def _withdrawn(ctx: StepContext) -> set[str]:
    return {o for t, officers in _handler_changes(ctx) if t == "recuse" for o in officers}


def _handlers(ctx: StepContext) -> list[str]:
    """Everyone named a handler of the case at any time (an officer who withdrew did handle it)."""
    named = [str(h) for h in ctx.earlier("open", "handlers") or ()]
    for trigger, officers in _handler_changes(ctx):
        if trigger == "name_handlers":
            named += [o for o in officers if o not in named]
    return named


# Steps of the investigation: whoever took one investigated the case, named as a handler or not.
INVESTIGATION_STEPS = (
    "start_testing",
    "finish_testing",
    "start_public_notice",
    "end_public_notice",
    "conclude_investigation",
    "notify",
)


def _investigators(ctx: StepContext) -> set[str]:
    """The named case handlers and every officer who took a step of the investigation."""
    found = set(_handlers(ctx))
    if ctx.matter is not None:
        found |= set(
            ctx.session.scalars(
                sa.select(Event.actor_id).where(
                    Event.matter_id == ctx.matter.id, Event.trigger.in_(INVESTIGATION_STEPS)
                )
            )
        )
    return found


def _party_kind(ctx: StepContext) -> str:
    kind = ctx.earlier("open", "party_kind")
    return kind if kind in SIMPLE_LIMIT else ORGANISATION


def _penalty_problems(kind: Any, fine: Decimal, confiscation: Decimal) -> Iterator[str]:
    if kind == "fine" and fine <= 0:
        yield "a fine needs its amount (fine)"
    if kind == "confiscation" and confiscation <= 0:
        yield "a confiscation needs its amount or value (confiscation)"


# -- guards --------------------------------------------------------------------------------------


def case_recusal(ctx: StepContext, **_: Any) -> GuardResult:
    """The officer withdrawing is one of the case's handlers now (Art 43)."""
    officer = str(ctx.data["officer"])
    handlers = current_handlers(ctx)
    if officer not in handlers:
        return (
            f"{officer} is not a handler of this case ({', '.join(handlers)}); a handler withdraws "
            f"({ART_43})"
        )
    return None


def case_handlers_named(ctx: StepContext, **_: Any) -> GuardResult:
    """After a withdrawal at least two handlers act, none of them one who withdrew (Art 42, 43)."""
    handlers = current_handlers(ctx)
    named = [str(n) for n in ctx.data.get("handlers") or ()]
    withdrawn = _withdrawn(ctx)
    reasons = [
        f"{n} withdrew from this case and cannot be named a handler again ({ART_43})"
        for n in named
        if n in withdrawn
    ]
    after = handlers + [n for n in named if n not in handlers and n not in withdrawn]
    if len(after) < 2:
        reasons.append(
            f"the case would have {len(after)} handler(s) ({', '.join(after) or 'none'}); name "
            f"others (handlers) so that at least two handle it ({ART_42})"
        )
    return reasons


def case_opening_authority(ctx: StepContext, **_: Any) -> GuardResult:
    """An ordinary-procedure case is opened with the head's approval (Art 54)."""
    if ctx.data.get("procedure") == "ordinary" and not ctx.actor.roles & HEADS:
        return (
            f"{ctx.actor.label()} is not a head: a case under the ordinary procedure is opened "
            f"with the head's approval ({ART_54})"
        )
    return None


def case_simple_procedure(ctx: StepContext, **_: Any) -> GuardResult:
    """On-the-spot decision: simple-procedure matter, facts conclusive, within Art 51's limits."""
    reasons: list[str] = []
    if ctx.earlier("open", "procedure") != "simple":
        reasons.append(
            f"the matter was opened under the ordinary procedure; only a matter opened for the "
            f"simple procedure is decided on the spot ({ART_51})"
        )
    if len(ctx.history) > 1:
        reasons.append(
            f"the simple procedure decides at once; this matter already has later steps "
            f"({', '.join(s.trigger for s in ctx.history[1:])}) ({ART_51})"
        )
    if not ctx.data.get("facts_conclusive"):
        reasons.append(f"the facts must be conclusive to decide on the spot ({ART_51})")
    problem = simple_procedure_problem(
        _party_kind(ctx), str(ctx.data.get("penalty_kind")), money(ctx.data.get("fine"))
    )
    if problem:
        reasons.append(problem)
    return reasons


def case_ordinary_procedure(ctx: StepContext, **_: Any) -> GuardResult:
    """Investigation steps belong to the ordinary procedure."""
    if ctx.earlier("open", "procedure") == "simple":
        return (
            f"this matter was opened for the simple procedure ({ART_51}); when its conditions are "
            f"not met, terminate it (ground: converted) and have the head open a case under the "
            f"ordinary procedure ({ART_54})"
        )
    return None


def case_first_extension(ctx: StepContext, **_: Any) -> GuardResult:
    """The head extends the decision period once; later extensions need collective discussion."""
    i = _last(ctx.history, "extend")
    if i is not None:
        return (
            f"the head already extended the period on {ctx.history[i].on}; a further extension "
            f"is decided by the heads' collective discussion (extend_further) ({SAMR_64})"
        )
    return None


def case_further_extension(ctx: StepContext, **_: Any) -> GuardResult:
    """A further extension follows the head's first extension."""
    if _last(ctx.history, "extend") is None:
        return (
            f"a further extension by collective discussion comes after the head's 30-day "
            f"extension (extend), which has not been approved ({SAMR_64})"
        )
    return None


def case_participants_are_heads(
    ctx: StepContext, field: str = "participants", **_: Any
) -> GuardResult:
    """Everyone named in ``field`` is a head of the matter's department."""
    department = ctx.matter.department if ctx.matter else ctx.actor.department
    reasons = []
    for oid in ctx.data.get(field) or ():
        officer = ctx.officers.get(oid)
        if officer is None:
            reasons.append(f"{field}: officer {oid!r} does not exist")
        elif not officer.roles & HEADS or officer.department != department:
            reasons.append(
                f"{field}: {officer.label()} is not a head of {department}; a collective "
                f"discussion is held by the department's heads ({ART_57_2})"
            )
    return reasons


def case_reviewer_independent(ctx: StepContext, **_: Any) -> GuardResult:
    """The legal reviewer did not investigate the case (Art 58)."""
    if ctx.actor.id in _investigators(ctx):
        return (
            f"{ctx.actor.label()} investigated this case (a named handler, or took a step of its "
            f"investigation); the legal review is made by staff who did not ({ART_58})"
        )
    return None


def case_legal_review_passed(ctx: StepContext, **_: Any) -> GuardResult:
    """Where Art 58 applies, a legal review passed after the investigation and any hearing."""
    h = ctx.history
    why = [
        text for flag, text in ART58_FLAGS.items() if ctx.earlier("conclude_investigation", flag)
    ]
    concluded = _last(h, "conclude_investigation")
    heard = _after(h, "hold_hearing", concluded)
    if heard is not None:
        why.append("a hearing was held")
    if not why:
        return None
    since = max(i for i in (concluded, heard, -1) if i is not None)
    passed = _last(h, "pass_review")
    if passed is not None and passed > since:
        return None
    what = "the hearing" if heard is not None else "the investigation concluded"
    return (
        f"the case needs a passed legal review (法制审核) before the decision because "
        f"{' and '.join(why)}, and none is recorded since {what} on {h[since].on} ({ART_58})"
    )


def case_discretion(ctx: StepContext, **_: Any) -> GuardResult:
    """The fine measured against the department's catalogue entry for the violation (裁量基准).

    The entry in force on the act date applies unless the one in force on the decision date is
    lighter (Art 37). A fine outside the legal range is refused; outside the tier the
    circumstances select it needs a recorded reason (Art 32) and a legal review passed since the
    investigation concluded (Art 58). The entry, the reason it applies, the ranges and the tier are
    recorded with the decision (``_discretion``).
    """
    code = ctx.data.get("violation")
    if not code:
        return None
    act = ctx.earlier("open", "act_date")
    conduct = date.fromisoformat(act) if act else ctx.at.date()
    try:
        facts = Facts.parse(ctx.data.get("facts") or {})
        found, why = discretion(ctx.catalogue, str(code), facts, conduct, ctx.at.date())
    except InputError as exc:
        return exc.message
    entry = found.violation
    fine = money(ctx.data.get("fine"))
    refused, conditions = check_decision(found, fine) if fine > 0 else ([], [])
    within = not refused and not conditions
    ctx.derived["_discretion"] = {
        "violation": entry.code,
        "catalogue": entry.department,
        "in_force_from": entry.in_force_from.isoformat(),
        "applicable": why,
        "penalty_basis": found.band.basis or entry.penalty_basis,
        "legal_range": [str(found.legal[0]), str(found.legal[1])],
        "tier": found.tier.name,
        "tier_because": list(found.tier_because),
        "suggested_range": [str(found.suggested[0]), str(found.suggested[1])],
        "within_tier": within,
    }
    if refused:
        return refused
    if not conditions:
        return None
    reasons = []
    if not (ctx.data.get("discretion_reason") or "").strip():
        reasons.append(f"{conditions[0]}; give it in discretion_reason")
    concluded = _last(ctx.history, "conclude_investigation")
    passed = _last(ctx.history, "pass_review")
    if passed is None or (concluded is not None and passed < concluded):
        reasons.append(
            f"a fine outside the {found.tier.name} tier of {entry.code} needs a legal review "
            f"(法制审核) passed since the investigation concluded ({ART_58})"
        )
    return reasons


def case_collective_discussion_held(ctx: StepContext, **_: Any) -> GuardResult:
    """A complex case or a major violation is decided by the heads' collective discussion."""
    why = [
        text for flag, text in ART57_FLAGS.items() if ctx.earlier("conclude_investigation", flag)
    ]
    if not why:
        return None
    concluded = _last(ctx.history, "conclude_investigation")
    if _after(ctx.history, "discuss", concluded) is not None:
        return None
    return (
        f"the case is {' and '.join(why)}: the penalty is decided by the heads' collective "
        f"discussion (discuss), which is not recorded since the investigation concluded ({ART_57_2})"
    )


def case_notice_given(ctx: StepContext, **_: Any) -> GuardResult:
    """The party was told of the proposed penalty after the investigation concluded (Art 44)."""
    concluded = _last(ctx.history, "conclude_investigation")
    if _after(ctx.history, "notify", concluded) is None:
        return (
            "the party has not been notified of the proposed penalty, its facts, reasons, basis "
            f"and the party's rights since the investigation concluded (notify) ({ART_44})"
        )
    return None


def case_not_heavier_than_notified(ctx: StepContext, **_: Any) -> GuardResult:
    """The penalty is not heavier than the one notified (Art 45): defending cannot worsen it."""
    if _last(ctx.history, "notify") is None:
        return None  # case_notice_given refuses
    kind = ctx.data.get("penalty_kind")
    fine, confiscation = money(ctx.data.get("fine")), money(ctx.data.get("confiscation"))
    reasons = list(_penalty_problems(kind, fine, confiscation))
    told_kind = ctx.earlier("notify", "penalty_kind")
    told_fine = money(ctx.earlier("notify", "fine"))
    told_confiscation = money(ctx.earlier("notify", "confiscation"))
    if kind != told_kind and kind not in LIGHTER_KINDS:
        reasons.append(
            f"the penalty kind {kind} differs from the {told_kind} notified; a penalty may not be "
            f"made heavier than notified — notify the party again ({ART_45})"
        )
    if fine > told_fine:
        reasons.append(
            f"the fine of {fine} yuan is heavier than the {told_fine} yuan notified; defending "
            f"may not make the penalty heavier — notify the party again ({ART_45})"
        )
    if confiscation > told_confiscation:
        reasons.append(
            f"the confiscation of {confiscation} yuan is more than the {told_confiscation} yuan "
            f"notified; notify the party again ({ART_45})"
        )
    return reasons


def case_hearing_eligibility(ctx: StepContext, **_: Any) -> GuardResult:
    """A notice of a penalty that carries a hearing right says so (Art 63)."""
    kind = str(ctx.data.get("penalty_kind"))
    fine, confiscation = money(ctx.data.get("fine")), money(ctx.data.get("confiscation"))
    reasons = list(_penalty_problems(kind, fine, confiscation))
    party = _party_kind(ctx)
    threshold, whose = HEARING_THRESHOLD[party], f"for a {party}"
    code = ctx.data.get("violation")
    if code:
        entries = ctx.catalogue.get(str(code))
        if not entries:
            return [
                *reasons,
                f"no violation {code!r} in the loaded catalogues; list them with "
                "`zhifa violations` or leave the field out",
            ]
        current = next((v for v in entries if v.in_force(ctx.at.date())), entries[-1])
        if current.hearing_threshold is not None:
            threshold = current.hearing_threshold
            whose = f"{current.department}'s threshold for {code}"
    required = kind in HEARING_KINDS or fine >= threshold or confiscation >= threshold
    if required and not ctx.data.get("hearing_eligible"):
        reasons.append(
            f"the proposed penalty ({kind}, fine {fine} yuan, confiscation {confiscation} yuan) "
            f"carries the right to request a hearing ({whose}: {threshold} yuan or more, "
            f"or {', '.join(sorted(HEARING_KINDS))}); the notice must say so — set "
            f"hearing_eligible ({ART_63})"
        )
    return reasons


def case_hearing_request_in_time(ctx: StepContext, **_: Any) -> GuardResult:
    """A hearing is requested within 5 working days of the notice's service (Art 64)."""
    i = _last(ctx.history, "notify")
    if i is None:
        return f"no notice was served, so no hearing can be requested ({ART_63})"
    served = ctx.history[i].on
    if not ctx.earlier("notify", "hearing_eligible"):
        return (
            f"the notice served on {served} gave no right to a hearing: the proposed penalty is "
            f"not one for which a hearing is held ({ART_63})"
        )
    last = ctx.calendar.add_working_days(served, REQUEST_DAYS).due
    day = ctx.at.date()
    if day > last:
        return (
            f"the hearing was requested on {day}, after the {REQUEST_DAYS} working days from the "
            f"notice served on {served}, which ended on {last} ({ART_64})"
        )
    return None


def case_hearing_notice_period(ctx: StepContext, **_: Any) -> GuardResult:
    """The hearing notice is served at least 7 working days before the hearing (Art 64).

    When the step gives ``hearing_date`` (serving the notice) the step's date is the service; else
    (holding the hearing) the step's date is the hearing and the notice is the latest
    ``schedule_hearing`` step. The hearing may be held on the 7th working day after service.
    """
    planned = ctx.data.get("hearing_date")
    if planned is not None:
        served, hearing = ctx.at.date(), date.fromisoformat(planned)
    else:
        i = _last(ctx.history, "schedule_hearing")
        if i is None:
            return f"no hearing notice was served ({ART_64})"
        served, hearing = ctx.history[i].on, ctx.at.date()
    earliest = ctx.calendar.add_working_days(served, HEARING_NOTICE_DAYS).due
    if hearing < earliest:
        return (
            f"a hearing on {hearing} is less than {HEARING_NOTICE_DAYS} working days after the "
            f"hearing notice served on {served}; the earliest day is {earliest} ({ART_64})"
        )
    return None


def case_hearing_chair_independent(ctx: StepContext, **_: Any) -> GuardResult:
    """The hearing is chaired by someone who did not investigate the case (Art 64 (4))."""
    chair = ctx.data.get("chair")
    if chair in _investigators(ctx):
        officer = ctx.officers.get(str(chair))
        who = officer.label() if officer else str(chair)
        return (
            f"{who} investigated this case (a named handler, or took a step of its "
            f"investigation); the hearing is chaired by someone who did not ({ART_64})"
        )
    return None


def case_hearing_period_respected(ctx: StepContext, **_: Any) -> GuardResult:
    """No penalty decision while the party may still request a hearing, unless it waived it."""
    i = _last(ctx.history, "notify")
    if i is None or not ctx.earlier("notify", "hearing_eligible") or ctx.data.get("rights_waived"):
        return None
    if _after(ctx.history, "request_hearing", i) is not None:
        return None
    served = ctx.history[i].on
    last = ctx.calendar.add_working_days(served, REQUEST_DAYS).due
    if ctx.at.date() <= last:
        return (
            f"the party may request a hearing until {last} (notice served on {served}); decide "
            f"after that day, or record the party's written waiver (rights_waived) "
            f"({ART_44}; {ART_64})"
        )
    return None


def case_no_penalty_ground(ctx: StepContext, **_: Any) -> GuardResult:
    """The ground for no penalty matches the recorded facts (Art 33, Art 57)."""
    ground = ctx.data.get("ground")
    corrected = bool(ctx.data.get("corrected"))
    harm = ctx.data.get("harm")
    if ground == "minor_corrected_no_harm" and not (corrected and harm == "none"):
        return (
            "no penalty for a minor violation needs it corrected in time (corrected) and no harm "
            f"(harm: none) ({ART_33}第一款)"
        )
    if ground == "first_violation_slight_harm" and not (
        corrected and ctx.data.get("first_violation") and harm in ("none", "slight")
    ):
        return (
            "no penalty for a first violation needs it to be the first (first_violation), the harm "
            f"slight at most (harm) and corrected in time (corrected) ({ART_33}第一款)"
        )
    return None


def _received(ctx: StepContext, decision: int) -> date:
    """The day the party received the decision: the on-the-spot decision or the latest service."""
    h = ctx.history
    if h[decision].trigger == "decide_on_the_spot":
        return h[decision].on
    served = _after(h, "serve", decision)
    return h[served].on if served is not None else h[decision].on


def case_payment_complete(ctx: StepContext, **_: Any) -> GuardResult:
    """The fine and any late surcharge are paid in full (Art 67, 72, 73)."""
    h = ctx.history
    decision = _last(h, *DECISIONS)
    fine = money(ctx.earlier(h[decision].trigger, "fine")) if decision is not None else Decimal(0)
    if decision is None or h[decision].trigger not in PENALTY_DECISIONS or fine <= 0:
        return f"no fine was decided, so there is nothing to pay ({ART_67})"
    received = _received(ctx, decision)
    paid_on = date.fromisoformat(ctx.data["paid_on"])
    if not received <= paid_on <= ctx.at.date():
        return (
            f"the payment date {paid_on} must fall between the receipt of the decision on "
            f"{received} and this step ({ctx.at.date()})"
        )
    due = payment_due(received, ctx.calendar)
    paused = days_within(periods_in(h, "contested"), due, paid_on)
    owed = late_surcharge(fine, due, paid_on, paused)
    reasons = []
    paid = money(ctx.data.get("amount_paid"))
    if paid < fine:
        reasons.append(f"{paid} yuan paid is less than the fine of {fine} yuan ({ART_67})")
    surcharge = money(ctx.data.get("surcharge_paid"))
    if surcharge < owed:
        late = (paid_on - due).days - paused
        reasons.append(
            f"the fine was due on {due} and paid on {paid_on}, {late} day(s) late not counting "
            f"{paused} day(s) of review or lawsuit: the surcharge is {owed} yuan, {surcharge} "
            f"yuan paid ({ART_72})"
        )
    return reasons


def case_may_close(ctx: StepContext, **_: Any) -> GuardResult:
    """A suspected crime is transferred, and a fine is paid or its enforcement ended, before the
    case is closed."""
    h = ctx.history
    reasons = []
    transferred = _last(h, "transfer") is not None
    if ctx.earlier("conclude_investigation", "suspected_crime") and not transferred:
        reasons.append(
            "the case is flagged as a suspected crime: it must be transferred to the judicial "
            f"organs (transfer); an administrative penalty does not replace the transfer ({ART_27})"
        )
    decision = _last(h, *DECISIONS)
    if not transferred and decision is not None and h[decision].trigger in PENALTY_DECISIONS:
        fine = money(ctx.earlier(h[decision].trigger, "fine"))
        revoked = ctx.earlier("conclude_review", "outcome") == "revoked"
        settled = any(_after(h, t, decision) is not None for t in EXECUTION_ENDS)
        if fine > 0 and not revoked and not settled:
            reasons.append(
                f"the fine of {fine} yuan decided on {h[decision].on} is not paid (record_payment)"
                f" nor enforced (serve_demand, then enforcement or a court application); a case is"
                f" closed once the decision is executed or its enforcement ended ({ART_67})"
            )
    return reasons


GUARDS = (
    Guard(
        "case_discretion",
        case_discretion,
        "a fine measured against the catalogue entry for the violation: within its legal range, "
        "and outside the selected tier only with a reason and a legal review",
        "行政处罚法 第三十二条、第三十七条、第五十八条",
        needs_data=True,
    ),
    Guard(
        "case_recusal",
        case_recusal,
        "the officer withdrawing is one of the case's handlers",
        ART_43,
        needs_data=True,
    ),
    Guard(
        "case_handlers_named",
        case_handlers_named,
        "after a withdrawal at least two handlers act, none of them one who withdrew",
        ART_42,
        needs_data=True,
    ),
    Guard(
        "case_opening_authority",
        case_opening_authority,
        "an ordinary-procedure case is opened by a head",
        ART_54,
        needs_data=True,
    ),
    Guard(
        "case_simple_procedure",
        case_simple_procedure,
        "on the spot: a simple-procedure matter, conclusive facts, a warning or a fine of at most "
        "200 yuan (person) / 3,000 yuan (organisation)",
        ART_51,
        needs_data=True,
    ),
    Guard(
        "case_ordinary_procedure",
        case_ordinary_procedure,
        "the matter was opened under the ordinary procedure",
        ART_54,
    ),
    Guard(
        "case_first_extension",
        case_first_extension,
        "the head's extension of the decision period is granted once",
        SAMR_64,
    ),
    Guard(
        "case_further_extension",
        case_further_extension,
        "a further extension follows the head's extension",
        SAMR_64,
    ),
    Guard(
        "case_participants_are_heads",
        case_participants_are_heads,
        "everyone taking part in a collective discussion is a head of the department",
        ART_57_2,
        needs_data=True,
    ),
    Guard(
        "case_reviewer_independent",
        case_reviewer_independent,
        "the legal reviewer is not a case handler of the case",
        ART_58,
    ),
    Guard(
        "case_legal_review_passed",
        case_legal_review_passed,
        "where Art 58 applies (major public interest, complex, major rights, hearing held), a "
        "legal review passed after the investigation and the hearing",
        ART_58,
    ),
    Guard(
        "case_collective_discussion_held",
        case_collective_discussion_held,
        "a complex case or a major violation was discussed by the heads",
        ART_57_2,
    ),
    Guard(
        "case_notice_given",
        case_notice_given,
        "the party was notified of the proposed penalty after the investigation concluded",
        ART_44,
    ),
    Guard(
        "case_not_heavier_than_notified",
        case_not_heavier_than_notified,
        "the penalty is not heavier than the one notified",
        ART_45,
        needs_data=True,
    ),
    Guard(
        "case_hearing_eligibility",
        case_hearing_eligibility,
        "a notice of a penalty carrying the hearing right says so",
        ART_63,
        needs_data=True,
    ),
    Guard(
        "case_hearing_request_in_time",
        case_hearing_request_in_time,
        "a hearing is requested within 5 working days of the notice",
        ART_64,
    ),
    Guard(
        "case_hearing_notice_period",
        case_hearing_notice_period,
        "the hearing notice is served at least 7 working days before the hearing",
        ART_64,
        needs_data=True,
    ),
    Guard(
        "case_hearing_chair_independent",
        case_hearing_chair_independent,
        "the hearing is chaired by someone who did not investigate the case",
        ART_64,
        needs_data=True,
    ),
    Guard(
        "case_hearing_period_respected",
        case_hearing_period_respected,
        "no penalty decision while the party may still request a hearing, unless waived",
        ART_64,
        needs_data=True,
    ),
    Guard(
        "case_no_penalty_ground",
        case_no_penalty_ground,
        "the ground for no penalty matches the recorded facts",
        ART_33,
        needs_data=True,
    ),
    Guard(
        "case_payment_complete",
        case_payment_complete,
        "the fine and the late surcharge are paid in full",
        ART_72,
        needs_data=True,
    ),
    Guard(
        "case_may_close",
        case_may_close,
        "a suspected crime was transferred and a fine paid before closing",
        ART_27,
    ),
)
