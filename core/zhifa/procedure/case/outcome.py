"""The end of a penalty case: the ground for deciding no penalty, the fine paid in full with any
late surcharge, and closing the case.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.case.history import latest, latest_after
from zhifa.procedure.case.thresholds import (
    ART_27,
    ART_33,
    ART_67,
    ART_72,
    DECISIONS,
    EXECUTION_ENDS,
    PENALTY_DECISIONS,
    days_within,
    late_surcharge,
    money,
    payment_due,
    periods_in,
)


@guard("the ground for no penalty matches the recorded facts", ART_33, needs_data=True)
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
    served = latest_after(h, "serve", decision)
    return h[served].on if served is not None else h[decision].on


@guard("the fine and the late surcharge are paid in full", ART_72, needs_data=True)
def case_payment_complete(ctx: StepContext, **_: Any) -> GuardResult:
    """The fine and any late surcharge are paid in full (Art 67, 72, 73)."""
    h = ctx.history
    decision = latest(h, *DECISIONS)
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


@guard("a suspected crime was transferred and a fine paid before closing", ART_27)
def case_may_close(ctx: StepContext, **_: Any) -> GuardResult:
    """A suspected crime is transferred, and a fine is paid or its enforcement ended, before the
    case is closed."""
    h = ctx.history
    reasons = []
    transferred = latest(h, "transfer") is not None
    if ctx.earlier("conclude_investigation", "suspected_crime") and not transferred:
        reasons.append(
            "the case is flagged as a suspected crime: it must be transferred to the judicial "
            f"organs (transfer); an administrative penalty does not replace the transfer ({ART_27})"
        )
    decision = latest(h, *DECISIONS)
    if not transferred and decision is not None and h[decision].trigger in PENALTY_DECISIONS:
        fine = money(ctx.earlier(h[decision].trigger, "fine"))
        revoked = ctx.earlier("conclude_review", "outcome") == "revoked"
        settled = any(latest_after(h, t, decision) is not None for t in EXECUTION_ENDS)
        if fine > 0 and not revoked and not settled:
            reasons.append(
                f"the fine of {fine} yuan decided on {h[decision].on} is not paid (record_payment)"
                f" nor enforced (serve_demand, then enforcement or a court application); a case is"
                f" closed once the decision is executed or its enforcement ended ({ART_67})"
            )
    return reasons


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined."""
