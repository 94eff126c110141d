"""Rules of the notice to a real-name reporter (告知举报人): 市场监督管理投诉举报处理暂行办法
第三十一条第二款 — within 5 working days of the decision whether to open a case on the clue.

The period is written once, as the workflow's ``expected`` entry (which `zhifa due` reads); the
guard here reads the same entry, so the notice is judged late exactly when the due list shows it
overdue.
"""

from __future__ import annotations

from typing import Any

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.workflow.deadlines import Step, compute
from zhifa.workflow.definitions import EXPECTED_STATE, OPEN

ART_31 = "市场监督管理投诉举报处理暂行办法 第三十一条第二款"
WITH_REPORTER = ("report", "complaint")
"""Clue sources that have somebody to tell (a clue from an inspection or a referral has none)."""


@guard(
    "the notice follows a decided clue with a reporter, not before the decision and within the "
    "period after it, or the delay is explained",
    ART_31,
    needs_data=True,
)
def reporter_notice_in_time(
    ctx: StepContext, reason_field: str = "delay_reason", **_: Any
) -> GuardResult:
    """The notice follows a clue (``--follows``) that came from a report or a complaint; it is
    given on or after the clue's decision (its latest step among the expectation's triggers) and
    by the last day of the expectation's period, or ``reason_field`` explains the delay."""
    parent = ctx.follows
    expectation = next(
        (
            e
            for e in ctx.definition.expected
            if parent is not None and e.workflow == parent.workflow
        ),
        None,
    )
    if parent is None or expectation is None:
        return (
            f"a notice to the reporter tells them the decision on a clue ({ART_31}); open it "
            "with --follows and the clue's matter number"
        )
    opened = ctx.followed_step(OPEN)
    source = (opened.data if opened is not None else {}).get("source")
    if source not in WITH_REPORTER:
        return (
            f"clue {parent.id} came from {source}, not from a report or a complaint, so there is no "
            f"reporter to tell ({ART_31})"
        )
    decision = next(
        (s for s in reversed(ctx.follows_history) if s.trigger in expectation.triggers), None
    )
    if decision is None:
        return f"clue {parent.id} has no decision whether to open a case yet to tell ({ART_31})"
    day = ctx.at.date()
    if day < decision.on:
        return (
            f"clue {parent.id} was decided on {decision.on}; the reporter is told of the decision "
            f"on or after that day, not on {day} ({ART_31}) — give the day they were told (--at)"
        )
    state = compute(
        expectation.clock,
        [Step(decision.on, decision.trigger, EXPECTED_STATE)],
        ctx.calendar,
        day,
    )
    if state is None or state.due_on is None or day <= state.due_on:
        return None
    if str(ctx.data.get(reason_field) or "").strip():
        return None
    return (
        f"the reporter is told within {state.allowed} working days of the decision on "
        f"{decision.on}, by {state.due_on}; {day} is late ({ART_31}); record the reason for the "
        f"delay in {reason_field}"
    )


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
