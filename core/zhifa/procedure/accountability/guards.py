"""Rules of the accountability review (尽职免责 / 失职问责): its window, the reviewers'
independence, and conclusions that the record does not contradict."""

from __future__ import annotations

from datetime import date
from typing import Any

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.accountability.findings import BASIS, EXEMPTION_GROUNDS, Findings, gather
from zhifa.workflow.definitions import OPEN


def findings_for(ctx: StepContext) -> Findings:
    """The findings of the review ``ctx`` is a step of, read on the step's date."""
    assert ctx.matter is not None and ctx.matter.entity_id is not None
    opened = ctx.matter.data[OPEN]
    return gather(
        ctx.session,
        ctx.matter.entity_id,
        date.fromisoformat(opened["window_from"]),
        date.fromisoformat(opened["window_to"]),
        ctx.at.date(),
    )


@guard(
    "the review concerns an entity, and its window and incident date are not in the future",
    BASIS,
    needs_data=True,
)
def review_window_valid(ctx: StepContext, **_: Any) -> GuardResult:
    reasons = []
    if ctx.entity_id is None:
        reasons.append(
            "a review is opened for the market entity where the incident happened; give --entity"
        )
    start = date.fromisoformat(ctx.data["window_from"])
    end = date.fromisoformat(ctx.data["window_to"])
    incident = date.fromisoformat(ctx.data["incident_date"])
    today = ctx.at.date()
    if start > end:
        reasons.append(f"the review window starts on {start}, after it ends on {end}")
    if end > today:
        reasons.append(f"the review window ends on {end}, after today ({today})")
    if incident > today:
        reasons.append(f"the incident date {incident} is after today ({today})")
    return reasons


@guard("no reviewer took a step or was named in the matters under review", BASIS, needs_data=True)
def reviewers_independent(ctx: StepContext, **_: Any) -> GuardResult:
    under_review = findings_for(ctx).officers
    return [
        f"reviewer {ctx.officers[oid].label() if oid in ctx.officers else oid} took a step or "
        "was named in the matters under review; nobody reviews their own conduct"
        for oid in ctx.data["reviewers"]
        if oid in under_review
    ]


@guard(
    "one conclusion per officer in the findings; exemption grounds the record does not "
    "contradict; no grounds for an accountable officer",
    BASIS,
    needs_data=True,
)
def conclusions_match_record(ctx: StepContext, **_: Any) -> GuardResult:
    findings = findings_for(ctx)
    conclusions: dict[str, Any] = ctx.data["conclusions"]
    reasons = [
        f"{oid} is not among the officers the findings name "
        f"({', '.join(findings.officers) or 'none'})"
        for oid in conclusions
        if oid not in findings.officers
    ]
    reasons += [
        f"no conclusion for {f.name} ({oid}), whom the findings name; conclude for every officer"
        for oid, f in findings.officers.items()
        if oid not in conclusions
    ]
    for oid, c in conclusions.items():
        f = findings.officers.get(oid)
        if f is None:
            continue
        grounds: list[str] = c.get("grounds") or []
        who = f"{f.name} ({oid})"
        if c["outcome"] == "accountable":
            if grounds:
                reasons.append(f"{who} is concluded accountable but exemption grounds are given")
            continue
        if not grounds:
            reasons.append(f"{who} is concluded exempt with no ground; name at least one ({BASIS})")
        for ground in grounds:
            zh, en = EXEMPTION_GROUNDS[ground]
            if ground == "inspected_as_required" and ground not in f.supported:
                shown = "; ".join(f.flags) or "no inspection of the entity with a recorded result"
                reasons.append(f"{who}: the record does not support '{zh}' ({en}): {shown}")
            if ground == "expert_false_report" and ground not in f.possible:
                reasons.append(
                    f"{who}: '{zh}' ({en}) needs a commissioned testing or appraisal body in the "
                    "matters the officer handled, and the record shows none"
                )
    return reasons


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined."""
