"""The rules of a case's compulsory enforcement (行政强制法), once a fine is unpaid after its 15 days.

The path in ``workflows/case.yaml``: ``serve_demand`` (催告, Art 35) → either ``decide_enforcement``
by a department the law gives that power (Art 37, 46) or ``apply_to_court`` (Art 53, 54) →
``court_orders_enforcement`` / ``court_refuses`` → ``record_enforced`` (Art 42), with
``suspend_execution`` / ``resume_execution`` (Art 39) and ``end_execution`` (Art 40) on the way.
The party may pay at any point (``record_payment``, with the surcharge owed to that day).

Periods:

* the demand comes after the 15 days to pay have passed, and states the fine and the surcharge
  accrued to the day the party receives it (Art 35 (3), Art 45);
* the department enforces itself after the demand's deadline and once the surcharge has run for
  more than 30 days, not counting days under review or lawsuit (Art 37, Art 46; 行政处罚法 Art 73);
* a court application comes after the demand's deadline and after 10 working days from the
  demand's receipt (Art 54; the law's periods of up to ten days are working days, Art 69): from the
  day after the 10th working day. When the party neither applied for review nor sued, it comes
  after the six months to sue have ended (行政诉讼法 Art 46; a period ending on a day off ends on
  the next working day) and within three months of that day (Art 53). After a review or lawsuit the
  decision is enforced on the review decision or judgment, and the three-month window is not
  checked here;
* enforcement suspended for three years may end when the party cannot pay (Art 39).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from zhifa.calendar import WorkCalendar, add_months, add_years
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.case.history import latest
from zhifa.procedure.case.thresholds import (
    ART_72,
    DECISIONS,
    PENALTY_DECISIONS,
    days_within,
    late_surcharge,
    money,
    payment_due,
    periods_in,
)

ART_35 = "行政强制法 第三十五条"
ART_37 = "行政强制法 第三十七条"
ART_39 = "行政强制法 第三十九条"
ART_42 = "行政强制法 第四十二条"
ART_45 = "行政强制法 第四十五条"
ART_46 = "行政强制法 第四十六条"
ART_53 = "行政强制法 第五十三条; 行政诉讼法 第四十六条"
ART_54 = "行政强制法 第五十四条、第六十九条"

DEMAND_WAIT_WORKING_DAYS = 10  # before a court application (Art 54, Art 69)
SURCHARGE_RUN_DAYS = 30  # the surcharge runs more than this before the department enforces (Art 46)
SUE_MONTHS = 6  # to bring a lawsuit after learning of the decision (行政诉讼法 Art 46)
COURT_WINDOW_MONTHS = 3  # to apply to the court after that period (Art 53)
SUSPENSION_YEARS = 3  # suspended this long, enforcement may end (Art 39)


@dataclass(frozen=True, slots=True)
class Fine:
    """A decided fine as enforcement sees it."""

    amount: Decimal
    received_on: date  # the party received the decision
    due_on: date  # last day to pay (行政处罚法 Art 67)
    contested: tuple[tuple[date, date | None], ...]  # review or lawsuit periods (Art 73)

    def late_days(self, day: date) -> int:
        """Days after the due date up to ``day``, leaving out days under review or lawsuit."""
        return max(0, (day - self.due_on).days - days_within(self.contested, self.due_on, day))

    def surcharge(self, day: date) -> Decimal:
        """The surcharge owed on ``day`` (3% a day, never above the fine; 行政处罚法 Art 72, 73)."""
        return late_surcharge(
            self.amount, self.due_on, day, days_within(self.contested, self.due_on, day)
        )


def court_window(received: date, cal: WorkCalendar) -> tuple[date, date]:
    """First and last day to apply to the court when the party neither applied for review nor sued.

    The six months to sue run from the day after the party received the decision and end on the
    same day six months later (the next working day if that is a day off); the application may be
    made from the next day and within three months of the end.

    >>> court_window(date(2026, 3, 2), WorkCalendar())
    (datetime.date(2026, 9, 3), datetime.date(2026, 12, 2))
    """
    ends = cal.next_working_day(add_months(received, SUE_MONTHS)).due
    return ends + timedelta(days=1), add_months(ends, COURT_WINDOW_MONTHS)


def court_earliest(demanded: date, cal: WorkCalendar) -> date:
    """The first day a court application may follow a demand received on ``demanded`` (Art 54)."""
    return cal.add_working_days(demanded, DEMAND_WAIT_WORKING_DAYS).due + timedelta(days=1)


def decided_fine(ctx: StepContext) -> Fine | str:
    """The case's decided, unrevoked fine, or why there is nothing to enforce."""
    h = ctx.history
    decision = latest(h, *DECISIONS)
    if decision is None or h[decision].trigger not in PENALTY_DECISIONS:
        return f"no fine was decided in this case, so there is nothing to enforce ({ART_72})"
    amount = money(ctx.earlier(h[decision].trigger, "fine"))
    if amount <= 0:
        return f"the decision imposes no fine, so there is nothing to enforce ({ART_72})"
    if ctx.earlier("conclude_review", "outcome") == "revoked":
        return f"the decision was revoked on review or by a court; nothing is enforced ({ART_72})"
    received = h[decision].on
    if h[decision].trigger != "decide_on_the_spot":
        served = latest(h, "serve")
        if served is not None and served > decision:
            received = h[served].on
    contested = tuple(periods_in(h, "contested"))
    return Fine(amount, received, payment_due(received, ctx.calendar), contested)


def _demand(ctx: StepContext) -> tuple[date, date] | None:
    """(day the demand was received, its deadline) of the latest demand, or None."""
    i = latest(ctx.history, "serve_demand")
    if i is None:
        return None
    return ctx.history[i].on, date.fromisoformat(ctx.earlier("serve_demand", "deadline"))


@guard(
    "a written demand follows the 15 days to pay and states the fine, the surcharge to date, "
    "the deadline and the right to state and defend",
    ART_35,
    needs_data=True,
)
def case_demand_allowed(ctx: StepContext, **_: Any) -> GuardResult:
    """A demand follows the 15 days to pay and states the exact amounts and the party's rights."""
    fine = decided_fine(ctx)
    if isinstance(fine, str):
        return fine
    day = ctx.at.date()
    reasons = []
    if day <= fine.due_on:
        reasons.append(
            f"the fine may be paid until {fine.due_on} (15 days after the party received the "
            f"decision on {fine.received_on}); a demand comes after that day ({ART_72})"
        )
    if money(ctx.data["fine_due"]) != fine.amount:
        reasons.append(
            f"the demand must state the fine decided, {fine.amount} yuan, not "
            f"{money(ctx.data['fine_due'])} yuan ({ART_35})"
        )
    owed = fine.surcharge(day)
    if money(ctx.data["surcharge_due"]) != owed:
        reasons.append(
            f"the surcharge accrued to {day} is {owed} yuan ({fine.late_days(day)} day(s) late at "
            f"3% a day, never above the fine), not {money(ctx.data['surcharge_due'])} yuan "
            f"({ART_35}、{ART_45})"
        )
    deadline = date.fromisoformat(ctx.data["deadline"])
    if deadline <= day:
        reasons.append(f"the deadline to pay must come after the demand's date {day} ({ART_35})")
    if not ctx.data["rights_told"]:
        reasons.append(
            f"the demand must tell the party of the right to state and defend ({ART_35})"
        )
    return reasons


@guard(
    "the department enforces after the demand's deadline and once the surcharge ran over 30 days",
    ART_46,
)
def case_enforcement_allowed(ctx: StepContext, **_: Any) -> GuardResult:
    """The department enforces after the demand's deadline, once the surcharge ran over 30 days."""
    fine = decided_fine(ctx)
    if isinstance(fine, str):
        return fine
    demand = _demand(ctx)
    if demand is None:
        return f"serve a written demand first (serve_demand) ({ART_35})"
    day = ctx.at.date()
    reasons = []
    if day <= demand[1]:
        reasons.append(
            f"the demand's deadline {demand[1]} has not passed; enforcement is decided only when "
            f"the party still has not paid after it ({ART_37})"
        )
    late = fine.late_days(day)
    if late <= SURCHARGE_RUN_DAYS:
        reasons.append(
            f"the surcharge has run {late} day(s) since {fine.due_on} (days under review or "
            f"lawsuit not counted); the department enforces only after more than "
            f"{SURCHARGE_RUN_DAYS} ({ART_46})"
        )
    return reasons


@guard(
    "the court is applied to 10 working days after the demand, past its deadline, and within "
    "three months after the six months to sue",
    ART_54,
)
def case_court_application_allowed(ctx: StepContext, **_: Any) -> GuardResult:
    """A court application follows the demand by 10 working days and falls in the Art 53 window."""
    fine = decided_fine(ctx)
    if isinstance(fine, str):
        return fine
    demand = _demand(ctx)
    if demand is None:
        return f"serve a written demand first (serve_demand) ({ART_54})"
    day = ctx.at.date()
    reasons = []
    if day <= demand[1]:
        reasons.append(f"the demand's deadline {demand[1]} has not passed ({ART_54})")
    earliest = court_earliest(demand[0], ctx.calendar)
    if day < earliest:
        reasons.append(
            f"the demand was received on {demand[0]}; the court is applied to after "
            f"{DEMAND_WAIT_WORKING_DAYS} working days, from {earliest} ({ART_54})"
        )
    if not fine.contested:
        first, last = court_window(fine.received_on, ctx.calendar)
        if day < first:
            reasons.append(
                f"the party may still sue until {first - timedelta(days=1)} (six months from "
                f"receiving the decision on {fine.received_on}); the court is applied to from "
                f"{first} ({ART_53})"
            )
        elif day > last:
            reasons.append(
                f"the three months to apply to the court ended on {last} ({ART_53}); the "
                "application is out of time — end the enforcement (end_execution) with the reason"
            )
    return reasons


@guard(
    "enforcement recovered the fine and the surcharge owed, unless an agreement reduced it",
    ART_42,
    needs_data=True,
)
def case_enforcement_complete(ctx: StepContext, **_: Any) -> GuardResult:
    """Enforcement recovered the fine, and the surcharge unless an agreement reduced it (Art 42)."""
    fine = decided_fine(ctx)
    if isinstance(fine, str):
        return fine
    recovered_on = date.fromisoformat(ctx.data["recovered_on"])
    began = latest(ctx.history, "decide_enforcement", "court_orders_enforcement")
    start = ctx.history[began].on if began is not None else fine.received_on
    reasons = []
    if not start <= recovered_on <= ctx.at.date():
        reasons.append(
            f"the day of recovery {recovered_on} must fall between the start of enforcement on "
            f"{start} and this step ({ctx.at.date()})"
        )
    got = money(ctx.data["fine_recovered"])
    if got < fine.amount:
        reasons.append(
            f"{got} yuan recovered is less than the fine of {fine.amount} yuan; record what was "
            f"recovered when enforcement ends (end_execution) ({ART_72})"
        )
    owed = fine.surcharge(recovered_on)
    surcharge = money(ctx.data.get("surcharge_recovered"))
    if surcharge < owed and not (ctx.data.get("agreement") or "").strip():
        reasons.append(
            f"the surcharge owed on {recovered_on} is {owed} yuan and {surcharge} yuan was "
            f"recovered; a lower surcharge needs an enforcement agreement for the party's remedial "
            f"measures (agreement) ({ART_42})"
        )
    return reasons


@guard(
    "enforcement suspended for inability to pay may end after three years", ART_39, needs_data=True
)
def case_execution_may_end(ctx: StepContext, **_: Any) -> GuardResult:
    """Ending after a suspension for inability to pay needs three years of suspension (Art 39)."""
    if ctx.data["ground"] != "suspended_three_years":
        return None
    i = latest(ctx.history, "suspend_execution")
    if ctx.from_state != "execution_suspended" or i is None:
        return f"enforcement is not suspended, so this ground does not apply ({ART_39})"
    began = ctx.history[i].on
    ends = add_years(began, SUSPENSION_YEARS)
    if ctx.at.date() < ends:
        return (
            f"enforcement was suspended on {began}; it may end on this ground from {ends}, three "
            f"years later ({ART_39})"
        )
    if ctx.earlier("suspend_execution", "ground") != "unable_to_pay":
        return f"this ground needs a suspension because the party cannot pay ({ART_39})"
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
