"""The publication workflow's rules: 市场监督管理行政处罚信息公示规定 (2021).

Only ordinary-procedure decisions are published, never warning-only ones (第二条); within 20
working days of the decision (第九条); withdrawn within 3 working days of a change, revocation or
finding of unlawfulness or voidness (第十一条); published for 3 months when the penalty is only
circulated criticism or a low fine, else 3 years, or the real term of a longer restriction
(第十三条); stopped early after credit repair, never for the severe penalties (第十四条).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import WorkCalendar, add_months, add_years
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.store.tables import Entity, Matter, MatterLink
from zhifa.workflow.definitions import OPEN

RULES = "市场监督管理行政处罚信息公示规定"
ART_2 = f"{RULES} 第二条"
ART_4 = f"{RULES} 第四条"
ART_9 = f"{RULES} 第九条"
ART_11 = f"{RULES} 第十一条"
ART_13 = f"{RULES} 第十三条"
ART_14 = f"{RULES} 第十四条"

PUBLISH_WITHIN_WORKING_DAYS = 20
"""Publication within this many working days of the decision (第九条)."""

LOW_FINE_THRESHOLD = Decimal("10000")
"""*(local)* A fine of at most this many yuan is a "较低数额罚款" (第十三条第二款).

The rule leaves the amount to provincial (or higher) departments; this default is a placeholder a
department overrides by giving the guard that checks the publicity end date (below) the argument
``low_fine`` in its workflow definition.
"""

SHORT_PERIOD_MONTHS = 3
LONG_PERIOD_YEARS = 3

LIGHT_KINDS = ("warning", "circulated_criticism")
"""Kinds that alone, or with a low fine, give the short period (a warning being lighter than
circulated criticism, a warning with a low fine is read as short too)."""

OTHER_KINDS = (
    "confiscation",
    "permit_suspended",
    "qualification_lowered",
    "permit_revoked",
    "licence_revoked",
    "production_restricted",
    "business_halted",
    "closed",
    "practice_restricted",
)
SEVERE_KINDS = (
    "business_halted",
    "production_restricted",
    "practice_restricted",
    "qualification_lowered",
    "permit_revoked",
    "licence_revoked",
    "closed",
)
"""Penalties whose publication may never be stopped early (第十四条第三款)."""

RESTRICTIONS = ("production_restricted", "practice_restricted")


@dataclass(frozen=True, slots=True)
class Penalty:
    """The parts of a penalty decision that decide whether and how long it is published."""

    kinds: frozenset[str]
    fine: Decimal = Decimal(0)
    restriction_ends_on: date | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Penalty:
        """The penalty recorded by the publication workflow's opening step."""
        kinds = {k for k in (*LIGHT_KINDS, *OTHER_KINDS) if data.get(k) is True}
        fine = Decimal(str(data.get("fine_amount") or 0))
        if fine > 0:
            kinds.add("fine")
        raw = data.get("restriction_ends_on")
        return cls(frozenset(kinds), fine, date.fromisoformat(raw) if raw else None)

    @property
    def warning_only(self) -> bool:
        return self.kinds == {"warning"}


def is_low_fine(fine: Decimal, threshold: Decimal = LOW_FINE_THRESHOLD) -> bool:
    """Whether ``fine`` (yuan) is a low fine: at most ``threshold``."""
    return fine <= threshold


def short_period(penalty: Penalty, low_fine: Decimal = LOW_FINE_THRESHOLD) -> bool:
    """Whether the penalty is only circulated criticism (or a warning) and/or a low fine (第十三条)."""
    if penalty.kinds - {*LIGHT_KINDS, "fine"}:
        return False
    return "fine" not in penalty.kinds or is_low_fine(penalty.fine, low_fine)


def publicity_end(
    published_on: date,
    penalty: Penalty,
    low_fine: Decimal = LOW_FINE_THRESHOLD,
    *,
    short_months: int = SHORT_PERIOD_MONTHS,
    long_years: int = LONG_PERIOD_YEARS,
) -> date:
    """The last day of publicity for ``penalty`` published on ``published_on`` (第十三条).

    3 months for circulated criticism or a low fine only; else 3 years, or the end of a restriction
    of business or practice when it runs longer. The day of publication is not counted. The
    periods are the rule's; the policy sandbox passes a reform's.
    """
    if short_period(penalty, low_fine):
        return add_months(published_on, short_months)
    end = add_years(published_on, long_years)
    restricted = penalty.kinds & set(RESTRICTIONS)
    if restricted and penalty.restriction_ends_on and penalty.restriction_ends_on > end:
        return penalty.restriction_ends_on
    return end


def publication_due(decision_date: date, cal: WorkCalendar) -> date:
    """The last day to publish a decision of ``decision_date``: its 20th working day after."""
    return cal.add_working_days(decision_date, PUBLISH_WITHIN_WORKING_DAYS).due


def _opened(ctx: StepContext) -> Mapping[str, Any]:
    return (ctx.matter.data.get(OPEN) or {}) if ctx.matter is not None else ctx.data


CASE_KINDS: Mapping[str, tuple[str, ...]] = {
    "warning": ("warning",),
    "circulated_criticism": ("circulated_criticism",),
    "fine": ("fine",),
    "confiscation": ("confiscation",),
    "permit_suspension": ("permit_suspended",),
    "qualification_lowering": ("qualification_lowered",),
    "permit_revocation": ("permit_revoked", "licence_revoked"),
    "production_restriction": ("production_restricted",),
    "production_halt": ("business_halted",),
    "closure": ("closed",),
    "practice_restriction": ("practice_restricted",),
}
"""A case's ``decide_penalty.penalty_kind`` → the publication's penalty fields that state it (a
permit revocation is published as 吊销许可证件 or, for a business licence, 吊销营业执照)."""

DONE_WITH = ("cancelled", "withdrawn")
"""States of a publication after which the same decision may be registered again (第十一条)."""


def _published_on(ctx: StepContext) -> date | None:
    return next((s.on for s in reversed(ctx.history) if s.trigger == "publish"), None)


# -- guards ---------------------------------------------------------------------------------------


@guard(
    "an ordinary-procedure decision that is not a warning only, dated no later than the step",
    ART_2,
    needs_data=True,
)
def publication_publishable(ctx: StepContext, **_: Any) -> GuardResult:
    """An ordinary-procedure decision, not a warning only, dated no later than its registration."""
    problems = []
    if ctx.data.get("procedure") != "ordinary":
        problems.append(
            "only decisions made in the ordinary procedure are published; a simple-procedure "
            f"decision is not ({ART_2}第一款)"
        )
    penalty = Penalty.from_data(ctx.data)
    if not penalty.kinds:
        problems.append("the decision names no penalty: give at least one kind or a fine")
    elif penalty.warning_only:
        problems.append(f"a decision giving only a warning is not published ({ART_2}第二款)")
    raw = ctx.data.get("decision_date")
    if raw and date.fromisoformat(raw) > ctx.at.date():
        problems.append(f"the decision date {raw} is after its registration on {ctx.at.date()}")
    return problems


def _money(value: Any) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _case_kinds(decided: Mapping[str, Any]) -> set[str]:
    """The penalty kinds a case's decide_penalty step recorded: its kind, a fine, a confiscation."""
    kinds = {str(decided["penalty_kind"])} if decided.get("penalty_kind") else set()
    if (_money(decided.get("fine")) or 0) > 0:
        kinds.add("fine")
    if (_money(decided.get("confiscation")) or 0) > 0:
        kinds.add("confiscation")
    return kinds


def _differs(name: str, given: Any, recorded: Any, where: str) -> str:
    return (
        f"{name} {given} differs from the case's {recorded} (recorded {where}); leave it out or "
        f"give the recorded value — a publication shows the decision as made ({ART_4})"
    )


def _party_problems(ctx: StepContext, case_open: Mapping[str, Any]) -> list[str]:
    """The party's name and code against the case's entity (or, without one, its party_name)."""
    assert ctx.follows is not None
    row = (
        ctx.session.execute(
            sa.select(Entity.name, Entity.uscc).where(Entity.id == ctx.follows.entity_id)
        ).first()
        if ctx.follows.entity_id is not None
        else None
    )
    name, where = (
        (row.name, "on the case's entity")
        if row is not None
        else (case_open.get("party_name"), "when the case was opened")
    )
    problems = []
    given = ctx.data.get("party_name")
    if name and given is not None and str(given).strip() != str(name).strip():
        problems.append(_differs("party_name", given, name, where))
    code = ctx.data.get("party")
    if code is not None and (row is None or code != row.uscc):
        problems.append(
            _differs("party", code, row.uscc, "on the case's entity")
            if row is not None
            else f"party {code} is given, but the case concerns no market entity; leave it out "
            f"({ART_4})"
        )
    return problems


def _penalty_problems(decided: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
    """The publication's penalty kinds and amounts against the case's decide_penalty step."""
    problems = []
    recorded = _case_kinds(decided)
    given = Penalty.from_data(data).kinds
    for kind in sorted(recorded):
        shown = CASE_KINDS.get(kind, ())
        if kind == "fine" and _money(decided.get("fine")) is not None:
            continue  # a missing fine is reported with its amount, below
        if not given & set(shown):
            problems.append(
                f"the case's decision imposes {kind} (recorded by decide_penalty), which the "
                f"publication leaves out; give {' or '.join(shown)} ({ART_4})"
            )
    allowed = {f for kind in recorded for f in CASE_KINDS.get(kind, ())}
    for kind in sorted(given - allowed):
        problems.append(
            f"{kind} is not a penalty the case's decision imposes (decide_penalty recorded "
            f"{', '.join(sorted(recorded)) or 'none'}); leave it out ({ART_4})"
        )
    for name, field_name in (("fine", "fine_amount"), ("confiscation", "confiscated_amount")):
        case_amount = _money(decided.get(name))
        amount = _money(data.get(field_name))
        if amount == case_amount:
            continue
        if case_amount is None:
            if amount is not None and amount > 0 and name not in given:
                problems.append(
                    f"{field_name} {amount} yuan is given, but the case's decision imposes no "
                    f"{name} (decide_penalty recorded none); leave it out ({ART_4})"
                )
            continue
        if amount is None:
            if name == "fine" and case_amount > 0:
                problems.append(
                    f"{field_name} is missing; the case's decision imposes a fine of "
                    f"{case_amount} yuan (recorded by decide_penalty): give it ({ART_4})"
                )
            continue
        problems.append(
            _differs(field_name, f"{amount} yuan", f"{case_amount} yuan", "by decide_penalty")
        )
    return problems


@guard(
    "a publication following a case shows the case's party, decision date, procedure and "
    "penalty as recorded there",
    ART_4,
    needs_data=True,
)
def publication_matches_case(ctx: StepContext, **_: Any) -> GuardResult:
    """A publication opened to follow a case repeats the facts the case recorded and contradicts
    none (第四条): the party's name and credit code (the case's entity), the procedure (the case's
    opening), the decision date (the day of the case's latest decide_penalty step), the penalty
    kinds and the fine (that step's penalty_kind, fine and confiscation). A value given and
    different is refused, and so is a recorded penalty kind or fine left out; the case records no
    decision number, so decision_no is not compared. A publication following nothing is not
    checked here."""
    if ctx.follows is None or ctx.follows.workflow != "case":
        return None
    case_open: Mapping[str, Any] = ctx.follows.data.get(OPEN) or {}
    problems = _party_problems(ctx, case_open)
    procedure = case_open.get("procedure")
    if procedure and ctx.data.get("procedure") not in (None, procedure):
        problems.append(
            _differs("procedure", ctx.data.get("procedure"), procedure, "when the case was opened")
        )
    decided = ctx.followed_step("decide_penalty")
    if decided is None:
        problems.append(
            f"case matter {ctx.follows.id} records no penalty decision (decide_penalty); only a "
            f"penalty decision is published ({ART_2})"
        )
        return problems
    raw = ctx.data.get("decision_date")
    if raw is not None and date.fromisoformat(raw) != decided.on:
        problems.append(_differs("decision_date", raw, decided.on, "by decide_penalty"))
    return problems + _penalty_problems(decided.data, ctx.data)


@guard(
    "no other publication of the followed case's decision, unless cancelled or withdrawn",
    ART_9,
)
def publication_once_per_decision(ctx: StepContext, **_: Any) -> GuardResult:
    """A decision is published once (第九条): a publication following a case is refused while
    another publication of that case exists that was not cancelled or withdrawn (第十一条: a
    changed decision is registered anew once the earlier one is)."""
    if ctx.follows is None or ctx.follows.workflow != "case":
        return None
    row = ctx.session.execute(
        sa.select(Matter.id, Matter.state)
        .join(MatterLink, MatterLink.target_id == Matter.id)
        .where(
            MatterLink.source_id == ctx.follows.id,
            MatterLink.kind == "follows",
            Matter.workflow == ctx.definition.name,
            Matter.state.not_in(DONE_WITH),
        )
        .order_by(Matter.id)
    ).first()
    if row is None:
        return None
    return (
        f"publication matter {row.id} ({row.state}) already registers the decision of case "
        f"matter {ctx.follows.id}; a decision is published once ({ART_9}) — register a changed "
        f"decision after recording decision_changed on matter {row.id} ({ART_11})"
    )


@guard(
    f"published within {PUBLISH_WITHIN_WORKING_DAYS} working days of the decision, or the "
    "delay is explained",
    ART_9,
    needs_data=True,
)
def publication_in_time(ctx: StepContext, clock: str = "publication", **_: Any) -> GuardResult:
    """Published by the last day of the publication clock, which counts 20 working days from the
    decision date, or the delay is explained (第九条). A late publication with its reason is
    recorded, and the clock shows it missed."""
    state = ctx.clock(clock)
    if state is None or state.due_on is None:
        return None
    day = ctx.at.date()
    if day <= state.due_on or ctx.data.get("delay_reason"):
        return None
    unit = "working days" if state.spec.unit == "working_days" else "days"
    start = f"a decision of {state.started_on}" if state.started_from else f"{state.started_on}"
    return (
        f"publication is due within {state.allowed} {unit} of {start}, by {state.due_on}; "
        f"{day} is late ({ART_9}); record the reason for the delay in delay_reason"
    )


@guard(
    "the recorded publicity end date is 3 months or 3 years after publication, as the "
    "penalty requires",
    ART_13,
    needs_data=True,
)
def publication_end_date(
    ctx: StepContext, low_fine: Decimal | int | str | None = None, **_: Any
) -> GuardResult:
    """The recorded publicity end date is the one the rule gives (第十三条).

    ``low_fine`` overrides :data:`LOW_FINE_THRESHOLD` in a department's workflow definition, e.g.
    ``{name: publication_end_date, low_fine: 30000}``.
    """
    raw = ctx.data.get("publicity_ends_on")
    if raw is None:
        return None
    threshold = LOW_FINE_THRESHOLD if low_fine is None else Decimal(str(low_fine))
    penalty = Penalty.from_data(_opened(ctx))
    expected = publicity_end(ctx.at.date(), penalty, threshold)
    if date.fromisoformat(raw) == expected:
        return None
    period = (
        f"{SHORT_PERIOD_MONTHS} months (circulated criticism or a fine of at most {threshold} yuan)"
        if short_period(penalty, threshold)
        else f"{LONG_PERIOD_YEARS} years, or a longer restriction's term"
    )
    return (
        f"publicity_ends_on is {raw}, but published on {ctx.at.date()} this penalty is shown for "
        f"{period}, until {expected} ({ART_13})"
    )


@guard(
    "the change of the decision is dated between the decision and the step", ART_11, needs_data=True
)
def publication_change_date(ctx: StepContext, **_: Any) -> GuardResult:
    """The change of the decision lies between the decision and this step."""
    raw = ctx.data.get("changed_on")
    if raw is None:
        return None
    changed = date.fromisoformat(raw)
    decided_raw = _opened(ctx).get("decision_date")
    if decided_raw and changed < date.fromisoformat(decided_raw):
        return f"the change of {changed} is dated before the decision of {decided_raw}"
    if changed > ctx.at.date():
        return f"the change of {changed} is dated after this step ({ctx.at.date()})"
    return None


@guard(
    "withdrawn within 3 working days of the change, or the delay is explained",
    ART_11,
    needs_data=True,
)
def publication_withdrawal_in_time(ctx: StepContext, **_: Any) -> GuardResult:
    """Withdrawn within 3 working days of recording the change, or the delay is explained."""
    state = ctx.clock("withdrawal")
    if state is None or state.due_on is None or ctx.at.date() <= state.due_on:
        return None
    if ctx.data.get("delay_reason"):
        return None
    return (
        f"the publication had to be withdrawn within {state.spec.days} working days of "
        f"{state.started_on}, by {state.due_on}; {ctx.at.date()} is late ({ART_11}); "
        "record the reason for the delay in delay_reason"
    )


def approved_repair(ctx: StepContext) -> tuple[int, date] | None:
    """The credit repair matter that follows this publication and stopped it (its id and the
    day publication stops), or None."""
    if ctx.matter is None:
        return None
    rows = ctx.session.execute(
        sa.select(Matter.id, Matter.data)
        .join(MatterLink, MatterLink.target_id == Matter.id)
        .where(
            MatterLink.source_id == ctx.matter.id,
            MatterLink.kind == "follows",
            Matter.workflow == "credit_repair",
            Matter.state == "stopped",
        )
        .order_by(Matter.id)
    ).all()
    for matter_id, data in rows:
        raw = (data.get("approve") or {}).get("stopped_on")
        if raw:
            return matter_id, date.fromisoformat(raw)
    return None


@guard("a credit repair of this publication was approved, and its stop date has come", ART_14)
def publication_repair_approved(ctx: StepContext, **_: Any) -> GuardResult:
    """Publication stops early only on an approved credit repair of it, from its stop date (第十四条).

    The conditions, the minimum publication period and the severe penalties that never stop early
    are the credit repair workflow's rules (core/zhifa/procedure/credit_repair.py); this step
    carries out its approval.
    """
    found = approved_repair(ctx)
    if found is None:
        return (
            "no approved credit repair follows this publication; the entity applies through a "
            "credit_repair matter opened with --follows on this publication, and the head's "
            f"approval there stops it ({ART_14})"
        )
    repair, stops_on = found
    if ctx.at.date() < stops_on:
        return (
            f"credit repair matter {repair} stops the publication on {stops_on}, not before "
            f"({ART_14})"
        )
    return None


@guard("the publicity end date has come", ART_13)
def publication_expired(ctx: StepContext, **_: Any) -> GuardResult:
    """Publication stops once the recorded publicity end date is over (第十三条)."""
    raw = ctx.earlier("publish", "publicity_ends_on")
    if raw is None:
        return None
    end = date.fromisoformat(raw)
    if ctx.at.date() <= end:
        return (
            f"the publicity period runs to the end of {end}; publication stops from "
            f"{end + timedelta(days=1)}, not on {ctx.at.date()} ({ART_13})"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
