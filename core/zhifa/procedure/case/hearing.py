"""The notice of the proposed penalty (告知, Art 44, 45) and the hearing it may give a right to
(听证, Art 63, 64): the notice before the decision, no heavier penalty than notified, the hearing
right, its periods and its chair.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.case.history import investigators, latest, latest_after, party_kind
from zhifa.procedure.case.thresholds import (
    ART_44,
    ART_45,
    ART_63,
    ART_64,
    HEARING_KINDS,
    HEARING_NOTICE_DAYS,
    HEARING_THRESHOLD,
    LIGHTER_KINDS,
    REQUEST_DAYS,
    money,
)


def _penalty_problems(kind: Any, fine: Decimal, confiscation: Decimal) -> Iterator[str]:
    """What a proposed fine or confiscation lacks: its amount."""
    if kind == "fine" and fine <= 0:
        yield "a fine needs its amount (fine)"
    if kind == "confiscation" and confiscation <= 0:
        yield "a confiscation needs its amount or value (confiscation)"


@guard("the party was notified of the proposed penalty after the investigation concluded", ART_44)
def case_notice_given(ctx: StepContext, **_: Any) -> GuardResult:
    """The party was told of the proposed penalty after the investigation concluded (Art 44)."""
    concluded = latest(ctx.history, "conclude_investigation")
    if latest_after(ctx.history, "notify", concluded) is None:
        return (
            "the party has not been notified of the proposed penalty, its facts, reasons, basis "
            f"and the party's rights since the investigation concluded (notify) ({ART_44})"
        )
    return None


@guard("the penalty is not heavier than the one notified", ART_45, needs_data=True)
def case_not_heavier_than_notified(ctx: StepContext, **_: Any) -> GuardResult:
    """The penalty is not heavier than the one notified (Art 45): defending cannot worsen it."""
    if latest(ctx.history, "notify") is None:
        return None  # the notice guard above refuses the step
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


@guard("a notice of a penalty carrying the hearing right says so", ART_63, needs_data=True)
def case_hearing_eligibility(ctx: StepContext, **_: Any) -> GuardResult:
    """A notice of a penalty that carries a hearing right says so (Art 63)."""
    kind = str(ctx.data.get("penalty_kind"))
    fine, confiscation = money(ctx.data.get("fine")), money(ctx.data.get("confiscation"))
    reasons = list(_penalty_problems(kind, fine, confiscation))
    party = party_kind(ctx)
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


@guard("a hearing is requested within 5 working days of the notice", ART_64)
def case_hearing_request_in_time(ctx: StepContext, **_: Any) -> GuardResult:
    """A hearing is requested within 5 working days of the notice's service (Art 64)."""
    i = latest(ctx.history, "notify")
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


@guard(
    "the hearing notice is served at least 7 working days before the hearing",
    ART_64,
    needs_data=True,
)
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
        i = latest(ctx.history, "schedule_hearing")
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


@guard(
    "the hearing is chaired by someone who did not investigate the case", ART_64, needs_data=True
)
def case_hearing_chair_independent(ctx: StepContext, **_: Any) -> GuardResult:
    """The hearing is chaired by someone who did not investigate the case (Art 64 (4))."""
    chair = ctx.data.get("chair")
    if chair in investigators(ctx):
        officer = ctx.officers.get(str(chair))
        who = officer.label() if officer else str(chair)
        return (
            f"{who} investigated this case (a named handler, or took a step of its "
            f"investigation); the hearing is chaired by someone who did not ({ART_64})"
        )
    return None


@guard(
    "no penalty decision while the party may still request a hearing, unless waived",
    ART_64,
    needs_data=True,
)
def case_hearing_period_respected(ctx: StepContext, **_: Any) -> GuardResult:
    """No penalty decision while the party may still request a hearing, unless it waived it."""
    i = latest(ctx.history, "notify")
    if i is None or not ctx.earlier("notify", "hearing_eligible") or ctx.data.get("rights_waived"):
        return None
    if latest_after(ctx.history, "request_hearing", i) is not None:
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


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined."""
