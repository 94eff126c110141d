"""Filing a penalty case and investigating it: the case's handlers and their withdrawal (回避),
the procedure chosen at opening (simple or ordinary) and the extensions of the decision period.
"""

from __future__ import annotations

from typing import Any

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.case.history import current_handlers, latest, party_kind, withdrawn_handlers
from zhifa.procedure.case.thresholds import (
    ART_42,
    ART_43,
    ART_51,
    ART_54,
    HEADS,
    SAMR_64,
    money,
    simple_procedure_problem,
)


@guard("the officer withdrawing is one of the case's handlers", ART_43, needs_data=True)
def case_recusal(ctx: StepContext, **_: Any) -> GuardResult:
    """The officer withdrawing is one of the case's handlers now (Art 43)."""
    officer = str(ctx.data["officer"])
    handlers = current_handlers(ctx)
    if officer not in handlers:
        return (
            f"{officer} is not a handler of this case ({', '.join(handlers)}); a handler withdraws "
            f"({ART_43})"
        )
    return None


@guard(
    "after a withdrawal at least two handlers act, none of them one who withdrew",
    ART_42,
    needs_data=True,
)
def case_handlers_named(ctx: StepContext, **_: Any) -> GuardResult:
    """After a withdrawal at least two handlers act, none of them one who withdrew (Art 42, 43)."""
    handlers = current_handlers(ctx)
    named = [str(n) for n in ctx.data.get("handlers") or ()]
    withdrawn = withdrawn_handlers(ctx)
    reasons = [
        f"{n} withdrew from this case and cannot be named a handler again ({ART_43})"
        for n in named
        if n in withdrawn
    ]
    after = handlers + [n for n in named if n not in handlers and n not in withdrawn]
    if len(after) < 2:
        reasons.append(
            f"the case would have {len(after)} handler(s) ({', '.join(after) or 'none'}); name "
            f"others (handlers) so that at least two handle it ({ART_42})"
        )
    return reasons


@guard("an ordinary-procedure case is opened by a head", ART_54, needs_data=True)
def case_opening_authority(ctx: StepContext, **_: Any) -> GuardResult:
    """An ordinary-procedure case is opened with the head's approval (Art 54)."""
    if ctx.data.get("procedure") == "ordinary" and not ctx.actor.roles & HEADS:
        return (
            f"{ctx.actor.label()} is not a head: a case under the ordinary procedure is opened "
            f"with the head's approval ({ART_54})"
        )
    return None


@guard(
    "on the spot: a simple-procedure matter, conclusive facts, a warning or a fine of at most "
    "200 yuan (person) / 3,000 yuan (organisation)",
    ART_51,
    needs_data=True,
)
def case_simple_procedure(ctx: StepContext, **_: Any) -> GuardResult:
    """On-the-spot decision: simple-procedure matter, facts conclusive, within Art 51's limits."""
    reasons: list[str] = []
    if ctx.earlier("open", "procedure") != "simple":
        reasons.append(
            f"the matter was opened under the ordinary procedure; only a matter opened for the "
            f"simple procedure is decided on the spot ({ART_51})"
        )
    if len(ctx.history) > 1:
        reasons.append(
            f"the simple procedure decides at once; this matter already has later steps "
            f"({', '.join(s.trigger for s in ctx.history[1:])}) ({ART_51})"
        )
    if not ctx.data.get("facts_conclusive"):
        reasons.append(f"the facts must be conclusive to decide on the spot ({ART_51})")
    problem = simple_procedure_problem(
        party_kind(ctx), str(ctx.data.get("penalty_kind")), money(ctx.data.get("fine"))
    )
    if problem:
        reasons.append(problem)
    return reasons


@guard("the matter was opened under the ordinary procedure", ART_54)
def case_ordinary_procedure(ctx: StepContext, **_: Any) -> GuardResult:
    """Investigation steps belong to the ordinary procedure."""
    if ctx.earlier("open", "procedure") == "simple":
        return (
            f"this matter was opened for the simple procedure ({ART_51}); when its conditions are "
            f"not met, terminate it (ground: converted) and have the head open a case under the "
            f"ordinary procedure ({ART_54})"
        )
    return None


@guard("the head's extension of the decision period is granted once", SAMR_64)
def case_first_extension(ctx: StepContext, **_: Any) -> GuardResult:
    """The head extends the decision period once; later extensions need collective discussion."""
    i = latest(ctx.history, "extend")
    if i is not None:
        return (
            f"the head already extended the period on {ctx.history[i].on}; a further extension "
            f"is decided by the heads' collective discussion (extend_further) ({SAMR_64})"
        )
    return None


@guard("a further extension follows the head's extension", SAMR_64)
def case_further_extension(ctx: StepContext, **_: Any) -> GuardResult:
    """A further extension follows the head's first extension."""
    if latest(ctx.history, "extend") is None:
        return (
            f"a further extension by collective discussion comes after the head's 30-day "
            f"extension (extend), which has not been approved ({SAMR_64})"
        )
    return None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined."""
