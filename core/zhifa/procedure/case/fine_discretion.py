"""The fine measured against the discretion benchmark (裁量基准): the department's catalogue entry
for the violation, its legal range and the tier the circumstances select (Art 32, 37, 58).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from zhifa.errors import InputError
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.case.history import latest
from zhifa.procedure.case.thresholds import ART_58, money
from zhifa.rules import Facts, check_decision, discretion


@guard(
    "a fine measured against the catalogue entry for the violation: within its legal range, "
    "and outside the selected tier only with a reason and a legal review",
    "行政处罚法 第三十二条、第三十七条、第五十八条",
    needs_data=True,
)
def case_discretion(ctx: StepContext, **_: Any) -> GuardResult:
    """The fine measured against the department's catalogue entry for the violation (裁量基准).

    The entry in force on the act date applies unless the one in force on the decision date is
    lighter (Art 37). A fine outside the legal range is refused; outside the tier the
    circumstances select it needs a recorded reason (Art 32) and a legal review passed since the
    investigation concluded (Art 58). The entry, the reason it applies, the ranges and the tier are
    recorded with the decision (``_discretion``).
    """
    code = ctx.data.get("violation")
    if not code:
        return None
    act = ctx.earlier("open", "act_date")
    conduct = date.fromisoformat(act) if act else ctx.at.date()
    try:
        facts = Facts.parse(ctx.data.get("facts") or {})
        found, why = discretion(ctx.catalogue, str(code), facts, conduct, ctx.at.date())
    except InputError as exc:
        return exc.message
    entry = found.violation
    fine = money(ctx.data.get("fine"))
    refused, conditions = check_decision(found, fine) if fine > 0 else ([], [])
    within = not refused and not conditions
    ctx.derived["_discretion"] = {
        "violation": entry.code,
        "catalogue": entry.department,
        "in_force_from": entry.in_force_from.isoformat(),
        "applicable": why,
        "penalty_basis": found.band.basis or entry.penalty_basis,
        "legal_range": [str(found.legal[0]), str(found.legal[1])],
        "tier": found.tier.name,
        "tier_because": list(found.tier_because),
        "suggested_range": [str(found.suggested[0]), str(found.suggested[1])],
        "within_tier": within,
    }
    if refused:
        return refused
    if not conditions:
        return None
    reasons = []
    if not (ctx.data.get("discretion_reason") or "").strip():
        reasons.append(f"{conditions[0]}; give it in discretion_reason")
    concluded = latest(ctx.history, "conclude_investigation")
    passed = latest(ctx.history, "pass_review")
    if passed is None or (concluded is not None and passed < concluded):
        reasons.append(
            f"a fine outside the {found.tier.name} tier of {entry.code} needs a legal review "
            f"(法制审核) passed since the investigation concluded ({ART_58})"
        )
    return reasons


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined."""
