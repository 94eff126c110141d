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

import sqlalchemy as sa

from zhifa.calendar import add_months
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.abnormal_list import ART_17
from zhifa.procedure.abnormal_list import ON_LIST as ABNORMAL_ON_LIST
from zhifa.procedure.publication import SEVERE_KINDS, Penalty, short_period
from zhifa.procedure.serious_list import ON_LIST as SERIOUS_ON_LIST
from zhifa.procedure.serious_list import ORDER_44
from zhifa.procedure.shared import contradicts, follow_ups, same_text
from zhifa.store.tables import Matter
from zhifa.workflow.definitions import OPEN

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


def minimum_period_ends(
    published_on: date, category: str, minimum: Mapping[str, int] = MINIMUM_MONTHS
) -> date | None:
    """The last day of the minimum publication period, or None when no early end is possible
    (``minimum``: months by category, the rule's unless the policy sandbox passes a reform's)."""
    months = minimum.get(category)
    return None if months is None else add_months(published_on, months)


def first_eligible_day(
    published_on: date, category: str, minimum: Mapping[str, int] = MINIMUM_MONTHS
) -> date | None:
    """The first day an early end of publication may be applied for; None for severe penalties.

    The minimum period is complete at the end of its last day, so this is the day after it.
    """
    last = minimum_period_ends(published_on, category, minimum)
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


PUBLICATION = "publication"  # the workflow whose publication a credit repair ends early
PUBLISH = "publish"  # its step that publishes: the day publication began, the end date recorded
DONE_WITH = ("refused",)
"""States of a credit repair after which the same publication may be applied for again: a refused
application may be made anew; an approved one has already stopped the publication."""


def category_of(publication: Mapping[str, Any]) -> str:
    """The category a publication's opening data puts its penalty in: ``severe`` for a penalty
    whose publication never stops early (第十四条第三款), ``food_drug_equipment`` when it marks
    the food, drugs or special equipment sector, else ``general``."""
    if Penalty.from_data(publication).kinds & set(SEVERE_KINDS):
        return "severe"
    return "food_drug_equipment" if publication.get("special_sector") is True else "general"


def minor_of(publication: Mapping[str, Any], published_on: date, ends_on: Any) -> bool:
    """Whether the publication shows only a warning, circulated criticism or a low fine: its
    recorded publicity end date is three months after publication (第十三条), which the
    department's low-fine threshold set; without a recorded end date, the national default."""
    if ends_on:
        return date.fromisoformat(str(ends_on)) == publication_ends(published_on, True)
    return short_period(Penalty.from_data(publication))


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


@guard(
    "a credit repair following a publication gives the publication's decision number, "
    "publication date, category and minor-penalty flag as recorded there",
    ART_14,
    needs_data=True,
)
def credit_repair_matches_publication(ctx: StepContext, **_: Any) -> GuardResult:
    """A credit repair opened to follow a publication repeats what the publication recorded and
    contradicts none of it: decision_no (its opening), published_on (the day of its publish
    step), category (severe for a penalty that never stops early, food_drug_equipment for the
    sector it marks, else general) and minor_only (a publicity period of three months). A repair
    following nothing is not checked here."""
    if ctx.follows is None or ctx.follows.workflow != PUBLICATION:
        return None
    parent = f"{PUBLICATION} matter {ctx.follows.id}"
    opened: Mapping[str, Any] = ctx.follows.data.get(OPEN) or {}
    problems = []
    given, recorded = ctx.data.get("decision_no"), opened.get("decision_no")
    if given is not None and recorded and not same_text(given, recorded):
        problems.append(
            contradicts("decision_no", given, recorded, parent, "when it was registered", ART_14)
        )
    published = ctx.followed_step(PUBLISH)
    if published is None:
        problems.append(
            f"{parent} has not been published (no publish step), so there is no publication to "
            f"end early ({ART_14})"
        )
        return problems
    raw = ctx.data.get("published_on")
    if raw is not None and date.fromisoformat(raw) != published.on:
        problems.append(
            contradicts(
                "published_on", raw, published.on, parent, "the day of its publish step", ART_14
            )
        )
    category = category_of(opened)
    if ctx.data.get("category") not in (None, category):
        where = {
            "severe": "a penalty whose publication never stops early",
            "food_drug_equipment": "a penalty marked food, drugs or special equipment",
            "general": "a penalty neither severe nor marked food, drugs or special equipment",
        }[category]
        problems.append(
            contradicts("category", ctx.data["category"], category, parent, where, ART_14)
        )
    minor = minor_of(opened, published.on, published.data.get("publicity_ends_on"))
    if ctx.data.get("minor_only") not in (None, minor):
        where = (
            "published for three months: only a warning, circulated criticism or a low fine"
            if minor
            else "published for longer than three months"
        )
        problems.append(
            contradicts("minor_only", ctx.data["minor_only"], minor, parent, where, ART_13)
        )
    return problems


@guard(
    "no other credit repair of the followed publication is pending or approved",
    ART_14,
)
def credit_repair_once_per_publication(ctx: StepContext, **_: Any) -> GuardResult:
    """One application at a time ends a publication early: a credit repair following a
    publication is refused while another one of it is pending (applied) or was approved
    (stopped); after a refusal the entity may apply again."""
    if ctx.follows is None or ctx.follows.workflow != PUBLICATION:
        return None
    earlier = [(i, state) for i, state in follow_ups(ctx, ctx.follows.id) if state not in DONE_WITH]
    if not earlier:
        return None
    other, state = earlier[0]
    parent = f"{PUBLICATION} matter {ctx.follows.id}"
    if state == "stopped":
        return (
            f"credit repair matter {other} (stopped) already approved ending {parent} early; "
            f"the publication stops on the day it set, so nothing is left to apply for ({ART_14})"
        )
    return (
        f"credit repair matter {other} ({state}) already applies to end {parent} early; one "
        f"application is decided at a time, and another may follow once it is refused ({ART_14})"
    )


LISTS = {"serious_list": (SERIOUS_ON_LIST, ORDER_44), "abnormal_list": (ABNORMAL_ON_LIST, ART_17)}
"""The lists an entity must be on neither of, by workflow: the states in which it is on them."""


@guard(
    "the entity is on neither the abnormal-operation nor the serious violation list, as the "
    "record shows",
    f"{RULES} 第十四条第一款第（四）项",
)
def credit_repair_not_listed(ctx: StepContext, **_: Any) -> GuardResult:
    """The record, not the typed answers, decides whether the entity is on the abnormal-operation
    or the serious violation list: a listing of it not yet removed refuses the early end."""
    if ctx.entity_id is None:
        return None
    problems = []
    for workflow, (states, basis) in LISTS.items():
        row = ctx.session.execute(
            sa.select(Matter.id, Matter.state)
            .where(
                Matter.entity_id == ctx.entity_id,
                Matter.workflow == workflow,
                Matter.state.in_(states),
            )
            .order_by(Matter.id)
            .limit(1)
        ).first()
        if row is not None:
            problems.append(
                f"the entity is on the list ({workflow} matter {row.id}, {row.state}; {basis}); "
                f"a publication is not ended early while it is listed "
                f"({RULES} 第十四条第一款第（四）项)"
            )
    return problems or None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
