"""The transfer workflow's rules (移送): 行政执法机关移送涉嫌犯罪案件的规定 (2020).

A suspected crime is reported by a team of at least two officers (第五条第一款), decided by the
principal head within 3 days (第五条第二款), handed to the police within 24 hours of the approval with
five kinds of material (第五条第二款、第六条); after the police decline, reconsideration may be asked
within 3 days of receiving the notice (第九条第一款). Each guard returns None or reasons citing the
article. Periods in days are the workflow's calendar-day clocks (see ``workflows/transfer.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.shared import (
    contradicts,
    follow_ups,
    followed_matter,
    latest_step_data,
    same_text,
)
from zhifa.workflow.definitions import OPEN

REGULATION = "行政执法机关移送涉嫌犯罪案件的规定"
ART_5_1 = f"{REGULATION} 第五条第一款"
ART_5_2 = f"{REGULATION} 第五条第二款"
ART_6 = f"{REGULATION} 第六条"

MIN_TEAM = 2
"""A transfer team (专案组) has at least this many officers (第五条第一款)."""

HANDOVER_HOURS = 24
"""An approved case reaches the police within this many hours of the approval (第五条第二款)."""

MATERIALS: tuple[tuple[str, str, str], ...] = (
    ("transfer_letter", "涉嫌犯罪案件移送书", "第六条第一项"),
    ("investigation_report", "涉嫌犯罪案件情况的调查报告", "第六条第二项"),
    ("seized_items_list", "涉案物品清单", "第六条第三项"),
    ("test_reports", "有关检验报告或者鉴定结论", "第六条第四项"),
    ("other_materials", "其他有关涉嫌犯罪的材料", "第六条第五项"),
)
"""The five kinds of material that go with a transfer: (field, name, item of 第六条)."""


@dataclass(frozen=True, slots=True)
class Decided:
    """How a matter a transfer follows decided where it goes: its step (``trigger``) and the field
    naming the receiver, the transfer's route that carries it out, and the rule."""

    trigger: str
    receiver: str
    route: str
    what: str
    basis: str
    receiver_basis: str


DECIDED: dict[str, Decided] = {
    "case": Decided(
        "transfer",
        "organ",
        "crime",
        "its transfer step sent it to judicial organs, 移送司法机关",
        "行政处罚法 第二十七条",
        ART_5_2,
    ),
    "clue": Decided(
        "hand_over",
        "to_department",
        "department",
        "its hand_over step handed it to the competent department, 移交",
        "市场监督管理行政处罚程序规定 第十八条",
        "市场监督管理行政处罚程序规定 第十八条",
    ),
}
"""The matters a transfer follows, by workflow (the ``follows:`` of ``workflows/transfer.yaml``)."""


def missing_materials(data: Mapping[str, Any]) -> list[str]:
    """The fields of :data:`MATERIALS` not marked present (true) in ``data``, in the rule's order."""
    return [name for name, _, _ in MATERIALS if data.get(name) is not True]


def handover_deadline(approved_at: datetime) -> datetime:
    """The last moment an approved case may reach the police: 24 hours after the approval."""
    return approved_at + timedelta(hours=HANDOVER_HOURS)


def _approved_at(ctx: StepContext) -> datetime | None:
    """When the matter's latest ``approve`` step happened (Beijing time, naive), from the record."""
    if ctx.matter is None:
        return None
    from zhifa.store.tables import Event

    raw = ctx.session.execute(
        sa.select(sa.type_coerce(Event.occurred_at, sa.String))
        .where(Event.matter_id == ctx.matter.id, Event.trigger == "approve")
        .order_by(Event.seq.desc())
        .limit(1)
    ).scalar()
    if raw is None:
        return None
    return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))


# -- guards ---------------------------------------------------------------------------------------


@guard(
    f"a transfer to the police is reported by a team of at least {MIN_TEAM} officers",
    ART_5_1,
    needs_data=True,
)
def transfer_team(ctx: StepContext, **_: Any) -> GuardResult:
    """A transfer to the police is reported by a team of at least two officers (第五条第一款)."""
    if ctx.data.get("route") != "crime":
        return None
    team = list(ctx.data.get("team") or ())
    if len(team) < MIN_TEAM:
        return (
            f"a suspected crime is reported by a team of at least {MIN_TEAM} officers; "
            f"the team names {len(team)} ({ART_5_1})"
        )
    return None


@guard("the step belongs to the route chosen in the report (crime or department)", ART_5_2)
def transfer_route(ctx: StepContext, route: str = "", **_: Any) -> GuardResult:
    """The step belongs to the route the report chose (crime: to the police; department: hand-over)."""
    chosen = ctx.earlier(OPEN, "route")
    if chosen != route:
        if route == "crime":
            return (
                f"the report chose the route {chosen!r}, not a transfer of a suspected crime; "
                f"only a crime transfer is approved by the principal head ({ART_5_2})"
            )
        return (
            f"the report chose the route {chosen!r}: a suspected crime must go to the police and "
            f"may not be handed to another department instead (行政处罚法 第二十七条; {REGULATION} "
            "第十一条第一款)"
        )
    return None


@guard(
    "the step is taken by the last day of the named clock; a late step needs delay_reason, "
    "and a hard period refuses it",
    REGULATION,
    needs_data=True,
)
def transfer_in_time(
    ctx: StepContext, clock: str = "", hard: bool = False, **_: Any
) -> GuardResult:
    """The step is taken by the last day of ``clock``.

    Late, a ``hard`` period refuses the step (the right has lapsed); any other needs the reason
    for the delay in ``delay_reason``, so the late step is still recorded, and the clock shows missed.
    """
    state = ctx.clock(clock)
    if state is None or state.status != "running" or state.due_on is None:
        return None
    day = ctx.at.date()
    if day <= state.due_on:
        return None
    late = (
        f"the {state.spec.label} ended on {state.due_on} ({state.spec.days} days from "
        f"{state.started_on}); {day} is too late ({state.spec.basis})"
    )
    if hard:
        return (
            f"{late}; the request can no longer be made — procuratorial supervision may still be "
            "suggested (suggest_supervision)"
        )
    if not ctx.data.get("delay_reason"):
        return f"{late}; record the reason for the delay in delay_reason"
    return None


@guard("the transfer carries all five kinds of material", ART_6, needs_data=True)
def transfer_materials_complete(ctx: StepContext, **_: Any) -> GuardResult:
    """Every one of the five kinds of material goes with the transfer (第六条)."""
    labels = {name: (zh, item) for name, zh, item in MATERIALS}
    return [
        f"{name}: the transfer lacks the {labels[name][0]} ({REGULATION} {labels[name][1]}); "
        "where nothing was seized or tested, attach a list or note saying so"
        for name in missing_materials(ctx.data)
    ]


@guard(
    f"the case reaches the police within {HANDOVER_HOURS} hours of the approval, or the delay "
    "is explained",
    ART_5_2,
    needs_data=True,
)
def transfer_within_24_hours(ctx: StepContext, **_: Any) -> GuardResult:
    """The case reaches the police within 24 hours of the approval, or the delay is explained."""
    approved = _approved_at(ctx)
    if approved is None:
        return None
    deadline = handover_deadline(approved)
    if ctx.at <= deadline or ctx.data.get("delay_reason"):
        return None
    return (
        f"the case was approved at {approved:%Y-%m-%d %H:%M} and had to reach the police within "
        f"{HANDOVER_HOURS} hours, by {deadline:%Y-%m-%d %H:%M} ({ART_5_2}); "
        "record the reason for the delay in delay_reason"
    )


@guard("the receipt is dated between the hand-over and the step", needs_data=True)
def transfer_receipt_date(ctx: StepContext, **_: Any) -> GuardResult:
    """The receipt is dated between the hand-over and this step."""
    raw = ctx.data.get("received_on")
    if raw is None:
        return None
    received = datetime.fromisoformat(raw).date()
    handed = next((s.on for s in reversed(ctx.history) if s.trigger == "hand_over"), None)
    if handed is not None and received < handed:
        return f"the receipt of {received} is dated before the hand-over of {handed}"
    if received > ctx.at.date():
        return f"the receipt of {received} is dated after this step ({ctx.at.date()})"
    return None


@guard(
    "a transfer following a case or clue takes the route its parent decided: a case sent to "
    "judicial organs goes to the police, a clue handed over to the competent department",
    ART_5_2,
    needs_data=True,
)
def transfer_matches_followed(ctx: StepContext, **_: Any) -> GuardResult:
    """A transfer opened to follow a matter carries out what that matter decided: a case whose
    transfer step sent it to judicial organs is a transfer of a suspected crime (route crime), a
    clue handed to the competent department a hand-over (route department). The case records no
    case number, so case_no is not compared; the entity is the parent's (the engine gives it)."""
    if ctx.follows is None or ctx.follows.workflow not in DECIDED:
        return None
    decided = DECIDED[ctx.follows.workflow]
    route = ctx.data.get("route")
    if route is None or route == decided.route:
        return None
    parent = f"{ctx.follows.workflow} matter {ctx.follows.id}"
    return contradicts("route", route, decided.route, parent, decided.what, decided.basis)


@guard(
    "each decision of the followed case or clue to transfer it is carried out by one transfer",
    ART_5_2,
)
def transfer_once_per_decision(ctx: StepContext, **_: Any) -> GuardResult:
    """A transfer following a case or clue carries out one of its decisions to transfer (a
    case's transfer step, a clue's hand_over): refused when the parent's decisions are all
    carried out by the transfers already following it. A case taken back and transferred again
    may be followed by one more."""
    if ctx.follows is None or ctx.follows.workflow not in DECIDED:
        return None
    decided = DECIDED[ctx.follows.workflow]
    made = [s for s in ctx.follows_history if s.trigger == decided.trigger]
    existing = follow_ups(ctx, ctx.follows.id)
    parent = f"{ctx.follows.workflow} matter {ctx.follows.id}"
    if not made:
        return f"{parent} records no decision to transfer it (no {decided.trigger} step; {ART_5_2})"
    if len(existing) < len(made):
        return None
    return (
        f"transfer matter {existing[-1][0]} already carries out the decision of {parent} to "
        f"transfer it ({decided.trigger} of {made[-1].on}); a decision to transfer is carried "
        f"out once ({ART_5_2}) — a case taken back and transferred again may be followed anew"
    )


@guard(
    "the receiving body named is the one the followed case or clue decided to transfer to",
    ART_5_2,
    needs_data=True,
)
def transfer_receiver_as_decided(
    ctx: StepContext, field: str = "police_unit", **_: Any
) -> GuardResult:
    """The police body a case is handed to (``field``: police_unit), or the department a clue is
    handed over to (to_department), is the receiver the followed matter's decision named: the
    organ of the case's latest transfer step, the to_department of the clue's hand_over. A
    transfer following nothing is not checked here."""
    given = ctx.data.get(field)
    found = followed_matter(ctx)
    if given is None or found is None or found[1] not in DECIDED:
        return None
    parent_id, workflow = found
    decided = DECIDED[workflow]
    recorded = (latest_step_data(ctx, parent_id, decided.trigger) or {}).get(decided.receiver)
    if not recorded or same_text(given, recorded):
        return None
    return contradicts(
        field,
        given,
        recorded,
        f"{workflow} matter {parent_id}",
        f"the {decided.receiver} of its {decided.trigger} step",
        decided.receiver_basis,
    )


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
