"""Rules of the abnormal-operation list (经营异常名录): the four grounds, the listing's time after
its cause, objections, the cure that answers the ground, and the three years after which the
entity is referred to the serious violation list (企业信息公示暂行条例 第八条、第十条、第十七条).

The annual report for a year is due from 1 January to 30 June of the next year (第八条); a firm
registered in a year files from the next, so it owes no report for the year it was registered
in. 30 June is a calendar date: a deadline on a weekend is not moved. Three full years are
counted as the Civil Code counts them (the listing day not counted; complete at the end of the
corresponding day), so a listing of 10 July 2026 is referred from 11 July 2029, and the reminder
falls in the 60 days before the three years are complete.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import add_years
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.store.tables import Entity, Matter

REGULATION = "企业信息公示暂行条例"
ART_8 = f"{REGULATION} 第八条"
ART_17 = f"{REGULATION} 第十七条"
MEASURES = "企业经营异常名录管理暂行办法"
LISTED_YEARS = 3

CURES = {
    "annual_report": "reports_filed",
    "adhoc_information": "information_published",
    "false_information": "information_corrected",
    "unreachable": "reachable_again",
}
"""The cure that answers each ground (市场监督管理信用修复管理办法 第五条)."""

ON_LIST = ("listed", "reminded", "objection", "removal_applied")
"""States in which the entity is on the list."""


def report_deadline(report_year: int) -> date:
    """The last day the annual report of ``report_year`` may be published: 30 June next year."""
    return date(report_year + 1, 6, 30)


def cause_of(ctx: StepContext) -> tuple[date | None, list[str]]:
    """The day the listing's cause arose, and every fault of the opening's data about it."""
    ground = ctx.data.get("ground")
    if ground == "annual_report":
        year = ctx.data.get("report_year")
        if year is None:
            return None, [f"an annual-report listing names report_year ({ART_8})"]
        deadline = report_deadline(int(year))
        problems = []
        filed = ctx.data.get("report_filed_on")
        if filed is not None and date.fromisoformat(str(filed)) <= deadline:
            problems.append(
                f"the {year} report was filed on {filed}, by the deadline of {deadline}; nothing "
                f"grounds a listing ({ART_8})"
            )
        registered = _registered_on(ctx)
        if registered is not None and registered.year > int(year):
            problems.append(
                f"the enterprise was registered on {registered}, so it owes no report for {year}: "
                f"a firm files from the year after its registration ({ART_8})"
            )
        return deadline, problems
    raw = ctx.data.get("cause_on")
    if raw is None:
        return None, [
            "give cause_on: the last day of the ordered time (ad-hoc information) or the day the "
            f"false information or the unreachable address was verified ({MEASURES})"
        ]
    return date.fromisoformat(str(raw)), []


def _registered_on(ctx: StepContext) -> date | None:
    if ctx.entity_id is None:
        return None
    found = ctx.session.scalar(sa.select(Entity.registered_on).where(Entity.id == ctx.entity_id))
    return found if isinstance(found, date) else None


@guard(
    "listed for a ground that arose, within its working days after the cause or with the delay "
    "explained",
    f"{ART_8}、第十条、第十七条",
    needs_data=True,
)
def abnormal_list_cause(ctx: StepContext, within_working_days: int = 10, **_: Any) -> GuardResult:
    """The cause arose before the listing day (an annual report: the day after 30 June of the
    next year at the earliest), the enterprise owed what it failed to do, and the listing is
    within ``within_working_days`` working days after the cause, or ``delay_reason`` says why."""
    if ctx.entity_id is None:
        return f"a listing concerns an enterprise: open it with --entity ({ART_17})"
    cause, problems = cause_of(ctx)
    if cause is None or problems:
        return problems
    day = ctx.at.date()
    if day <= cause:
        return (
            f"the cause arises on {cause} and a listing may follow only after it, not on {day} "
            f"({ART_8 if ctx.data.get('ground') == 'annual_report' else MEASURES})"
        )
    due = ctx.calendar.add_working_days(cause, within_working_days).due
    if day > due and not str(ctx.data.get("delay_reason") or "").strip():
        return (
            f"a listing is decided within {within_working_days} working days after {cause}, by "
            f"{due}; {day} is late ({MEASURES}); record the reason in delay_reason"
        )
    return None


@guard("an enterprise is listed once at a time", ART_17)
def abnormal_list_once(ctx: StepContext, **_: Any) -> GuardResult:
    """Refused while the enterprise is on the list already (another ground is added to the
    existing listing's record, not listed twice)."""
    if ctx.entity_id is None:
        return None
    other = ctx.session.scalar(
        sa.select(Matter.id).where(
            Matter.entity_id == ctx.entity_id,
            Matter.workflow == ctx.definition.name,
            Matter.state.in_(ON_LIST),
        )
    )
    if other is None:
        return None
    return f"the enterprise is on the list already (abnormal_list matter {other}); it is listed once ({ART_17})"


@guard("an objection within its days of the listing", MEASURES)
def abnormal_list_objection_in_time(ctx: StepContext, days: int = 30, **_: Any) -> GuardResult:
    """An objection is made within ``days`` calendar days of the listing day (the listing day not
    counted): a listing of 1 July may be objected to through 31 July."""
    last = ctx.received_on + timedelta(days=days)
    if ctx.at.date() > last:
        return (
            f"an objection is made within {days} days of the listing on {ctx.received_on}, by "
            f"{last}, not on {ctx.at.date()} ({MEASURES})"
        )
    return None


@guard("the cure answers the ground of the listing", ART_17, needs_data=True)
def abnormal_list_cure_answers_ground(ctx: StepContext, **_: Any) -> GuardResult:
    """The cure given is the one for the listing's ground, on or before the application."""
    ground = ctx.earlier("open", "ground")
    wanted = CURES.get(str(ground))
    problems = []
    if ctx.data.get("cure") != wanted:
        problems.append(
            f"a listing for {ground} is cured by {wanted}, not {ctx.data.get('cure')} ({ART_17})"
        )
    raw = ctx.data.get("cured_on")
    if raw is not None and date.fromisoformat(str(raw)) > ctx.at.date():
        problems.append(f"cured_on {raw} is after the application of {ctx.at.date()}")
    return problems or None


def three_years_complete(listed_on: date) -> date:
    """The last day of three full years on the list; the referral is possible the day after."""
    return add_years(listed_on, LISTED_YEARS)


@guard("three full years on the list (a reminder: in the 60 days before)", ART_17)
def abnormal_list_three_years(
    ctx: StepContext, reminder_days: int | None = None, **_: Any
) -> GuardResult:
    """Without ``reminder_days``: from the day after three full years on the list. With it: a
    reminder in the ``reminder_days`` days before the three years are complete."""
    listed = ctx.received_on
    last = three_years_complete(listed)
    day = ctx.at.date()
    if reminder_days is None:
        if day <= last:
            return (
                f"listed on {listed}, the enterprise completes three years on {last}; it is "
                f"referred from {last + timedelta(days=1)}, not on {day} ({ART_17})"
            )
        return None
    first = last - timedelta(days=reminder_days - 1)
    if not first <= day <= last:
        return (
            f"the reminder falls in the {reminder_days} days before the three years end on "
            f"{last}: from {first} through {last}, not on {day} ({ART_17})"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
