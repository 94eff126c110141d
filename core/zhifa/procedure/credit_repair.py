"""Rules of the credit repair (信用修复) workflow: ending the publication of a penalty early.

Source: 市场监督管理行政处罚信息公示规定 (2021) 第二条 (warnings are not published), 第十三条
(circulated criticism and low fines stop after three months, others after three years), 第十四条
(early end: minimum period, the four conditions, severe penalties never early). The minimum periods
(6 months; 1 year for food, drugs and special equipment) and the written credit commitment follow
the national implementing measures and local practice (DOMAIN §5, seed 003).

Periods in months or years are counted as the Civil Code counts them (民法典 第二百零一条、第二百零二条):
the day of publication is not counted, the period's last day is the corresponding day of the last
month — the last day of that month when it has no such day — and the period is complete ("届满")
at the end of that day, so the first eligible day is the day after.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from zhifa.calendar import add_months
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in

RULES = "市场监督管理行政处罚信息公示规定"
ART_2 = f"{RULES} 第二条"
ART_13 = f"{RULES} 第十三条"
ART_14 = f"{RULES} 第十四条第一款"
ART_14_SEVERE = f"{RULES} 第十四条第三款"
COMMITMENT_BASIS = "信用修复书面信用承诺 (national credit repair measures; seed 003)"

MINIMUM_MONTHS: dict[str, int] = {"general": 6, "food_drug_equipment": 12}
"""Minimum months of publication before an early end may be applied for, by penalty category."""

PUBLICATION_YEARS = 3
MINOR_MONTHS = 3

CONDITIONS: tuple[tuple[str, str, str], ...] = (
    (
        "obligations_performed",
        "the obligations set by the penalty decision have not all been performed",
        f"{RULES} 第十四条第一款第（一）项",
    ),
    (
        "harm_eliminated",
        "the harmful consequences and adverse effects have not been eliminated",
        f"{RULES} 第十四条第一款第（二）项",
    ),
    (
        "no_repeat_violation",
        "the entity was penalised again for a violation of the same kind",
        f"{RULES} 第十四条第一款第（三）项",
    ),
    (
        "not_on_abnormal_list",
        "the entity is on the list of enterprises with abnormal operations (经营异常名录)",
        f"{RULES} 第十四条第一款第（四）项",
    ),
    (
        "not_on_serious_list",
        "the entity is on the list of serious violations (严重违法失信名单)",
        f"{RULES} 第十四条第一款第（四）项",
    ),
    (
        "commitment_submitted",
        "no written credit commitment (书面信用承诺) was submitted",
        COMMITMENT_BASIS,
    ),
)
"""Each condition of an early end: (field, what is wrong when it is false, source)."""


def minimum_period_ends(published_on: date, category: str) -> date | None:
    """The last day of the minimum publication period, or None when no early end is possible."""
    months = MINIMUM_MONTHS.get(category)
    return None if months is None else add_months(published_on, months)


def first_eligible_day(published_on: date, category: str) -> date | None:
    """The first day an early end of publication may be applied for; None for severe penalties.

    The minimum period is complete at the end of its last day, so this is the day after it.
    """
    last = minimum_period_ends(published_on, category)
    return None if last is None else last + timedelta(days=1)


def publication_ends(published_on: date, minor: bool) -> date:
    """The last day the penalty is published at all: 3 months for circulated criticism or a low
    fine, otherwise 3 years (Art 13)."""
    return add_months(published_on, MINOR_MONTHS if minor else 12 * PUBLICATION_YEARS)


def eligibility_problems(
    published_on: date,
    category: str,
    minor_only: bool,
    applied_on: date,
    conditions: Mapping[str, Any],
) -> list[str]:
    """Every reason an application made on ``applied_on`` cannot end publication early.

    ``conditions`` maps each field of :data:`CONDITIONS` to whether it is met. An empty list means
    the application may be approved.
    """
    problems: list[str] = []
    if applied_on < published_on:
        problems.append(
            f"the application of {applied_on} is before the publication began on {published_on}"
        )
    if minor_only:
        problems.append(
            "a penalty of only a warning, a circulated criticism or a low fine is not ended early: "
            f"a warning is not published ({ART_2}) and the others stop by themselves after three "
            f"months, here on {publication_ends(published_on, True)} ({ART_13})"
        )
    elif applied_on > publication_ends(published_on, False):
        problems.append(
            f"the publication already ended on {publication_ends(published_on, False)}, three "
            f"years after it began ({ART_13}); there is nothing to end early"
        )
    first = first_eligible_day(published_on, category)
    if first is None:
        problems.append(
            "a severe penalty (suspension of production or business, restriction of activities or "
            "of practice, lowered qualification, revoked licence or business licence) is never "
            f"ended early ({ART_14_SEVERE})"
        )
    elif applied_on < first:
        months = MINIMUM_MONTHS[category]
        span = "1 year" if months == 12 else f"{months} months"
        what = " (food, drugs, special equipment)" if category == "food_drug_equipment" else ""
        problems.append(
            f"the minimum publication period of {span}{what} from {published_on} ends on "
            f"{first - timedelta(days=1)}; an application is possible from {first}, not on "
            f"{applied_on} ({ART_14})"
        )
    for name, wrong, basis in CONDITIONS:
        if not conditions.get(name):
            problems.append(f"{name}: {wrong} ({basis})")
    return problems


# -- guards --------------------------------------------------------------------------------------


@guard(
    "the minimum publication period has passed (6 months; 1 year for food, drugs and special "
    "equipment; never for severe penalties), the four conditions are met and a written credit "
    "commitment was given",
    f"{ART_14}; {ART_14_SEVERE}",
    needs_data=True,
)
def credit_repair_eligible(ctx: StepContext, **_: Any) -> GuardResult:
    """The penalty recorded at opening and the conditions confirmed now allow an early end."""
    published = ctx.earlier("open", "published_on")
    category = ctx.earlier("open", "category")
    if published is None or category is None:
        return f"the penalty's publication date and category are needed ({ART_14})"
    return eligibility_problems(
        date.fromisoformat(published),
        str(category),
        bool(ctx.earlier("open", "minor_only")),
        ctx.received_on,
        {name: ctx.data.get(name) for name, _, _ in CONDITIONS},
    )


@guard("publication stops on the day of the approval or later", ART_14, needs_data=True)
def credit_repair_stop_date(ctx: StepContext, field: str = "stopped_on", **_: Any) -> GuardResult:
    """Publication stops on the day of the approval or later, never before it."""
    raw = ctx.data.get(field)
    if raw is not None and date.fromisoformat(raw) < ctx.at.date():
        return (
            f"publication cannot stop on {raw}, before the approval of {ctx.at.date()}; "
            f"an early end takes effect from the decision ({ART_14})"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
