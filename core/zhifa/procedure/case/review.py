"""The penalty case's legal review (法制审核, Art 58) and the heads' collective discussion
(集体讨论, Art 57): who takes part, and when the decision needs them.
"""

from __future__ import annotations

from typing import Any

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.case.history import investigators, latest, latest_after
from zhifa.procedure.case.thresholds import ART57_FLAGS, ART58_FLAGS, ART_57_2, ART_58, HEADS


@guard(
    "everyone taking part in a collective discussion is a head of the department",
    ART_57_2,
    needs_data=True,
)
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


@guard("the legal reviewer is not a case handler of the case", ART_58)
def case_reviewer_independent(ctx: StepContext, **_: Any) -> GuardResult:
    """The legal reviewer did not investigate the case (Art 58)."""
    if ctx.actor.id in investigators(ctx):
        return (
            f"{ctx.actor.label()} investigated this case (a named handler, or took a step of its "
            f"investigation); the legal review is made by staff who did not ({ART_58})"
        )
    return None


@guard(
    "where Art 58 applies (major public interest, complex, major rights, hearing held), a "
    "legal review passed after the investigation and the hearing",
    ART_58,
)
def case_legal_review_passed(ctx: StepContext, **_: Any) -> GuardResult:
    """Where Art 58 applies, a legal review passed after the investigation and any hearing."""
    h = ctx.history
    why = [
        text for flag, text in ART58_FLAGS.items() if ctx.earlier("conclude_investigation", flag)
    ]
    concluded = latest(h, "conclude_investigation")
    heard = latest_after(h, "hold_hearing", concluded)
    if heard is not None:
        why.append("a hearing was held")
    if not why:
        return None
    since = max(i for i in (concluded, heard, -1) if i is not None)
    passed = latest(h, "pass_review")
    if passed is not None and passed > since:
        return None
    what = "the hearing" if heard is not None else "the investigation concluded"
    return (
        f"the case needs a passed legal review (法制审核) before the decision because "
        f"{' and '.join(why)}, and none is recorded since {what} on {h[since].on} ({ART_58})"
    )


@guard("a complex case or a major violation was discussed by the heads", ART_57_2)
def case_collective_discussion_held(ctx: StepContext, **_: Any) -> GuardResult:
    """A complex case or a major violation is decided by the heads' collective discussion."""
    why = [
        text for flag, text in ART57_FLAGS.items() if ctx.earlier("conclude_investigation", flag)
    ]
    if not why:
        return None
    concluded = latest(ctx.history, "conclude_investigation")
    if latest_after(ctx.history, "discuss", concluded) is not None:
        return None
    return (
        f"the case is {' and '.join(why)}: the penalty is decided by the heads' collective "
        f"discussion (discuss), which is not recorded since the investigation concluded ({ART_57_2})"
    )


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined."""
