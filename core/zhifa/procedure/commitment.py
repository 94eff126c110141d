"""Rules of credit commitments (信用承诺 / 告知承诺, 国办发〔2020〕42号): who may use the commitment
procedure, what a false commitment brings, and its repair.

An entity on the serious violation list, or with a false commitment not yet repaired, may not use
the commitment procedure (kinds ``proof_item`` and ``permit``) until it is repaired; both are read
from the record (the listing's and the commitment's matters), never from a typed answer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.procedure.serious_list import ON_LIST as LISTED
from zhifa.store.tables import Matter

GUIDELINE = "国办发〔2020〕42号"
PROCEDURE_KINDS = ("proof_item", "permit")
"""The kinds of commitment that use the commitment procedure (告知承诺制)."""
FALSE = "false_found"
CONSEQUENCES = ("terminated", "rectification_ordered", "decision_revoked", "penalty_case")


def _standing(ctx: StepContext, workflow: str, states: tuple[str, ...]) -> int | None:
    return ctx.session.scalar(
        sa.select(Matter.id)
        .where(
            Matter.entity_id == ctx.entity_id,
            Matter.workflow == workflow,
            Matter.state.in_(states),
        )
        .order_by(Matter.id)
        .limit(1)
    )


@guard(
    "the commitment procedure is not for an entity on the serious violation list or with a "
    "false commitment not yet repaired",
    f"{GUIDELINE}；市场监督管理严重违法失信名单管理办法",
    needs_data=True,
)
def commitment_eligible(ctx: StepContext, **_: Any) -> GuardResult:
    """For the commitment procedure (proof items and business permits), the entity is on
    neither the serious violation list nor the record of a false commitment not yet repaired."""
    if ctx.entity_id is None:
        return f"a commitment is made by an entity: open it with --entity ({GUIDELINE})"
    if ctx.data.get("kind") not in PROCEDURE_KINDS:
        return None
    problems = []
    listed = _standing(ctx, "serious_list", LISTED)
    if listed is not None:
        problems.append(
            f"the entity is on the serious violation list (serious_list matter {listed}), so the "
            f"commitment procedure is not open to it; it may apply the ordinary way, with the "
            f"proofs ({GUIDELINE})"
        )
    false = _standing(ctx, ctx.definition.name, (FALSE,))
    if false is not None:
        problems.append(
            f"the entity made a false commitment (commitment matter {false}) not yet repaired, so "
            f"the commitment procedure is not open to it until it is ({GUIDELINE})"
        )
    return problems or None


@guard("a false commitment is met with at least one measure", GUIDELINE, needs_data=True)
def commitment_consequence_taken(ctx: StepContext, **_: Any) -> GuardResult:
    """At least one of termination, an order to rectify, revocation of the decision or a
    penalty case is recorded with the finding."""
    if any(ctx.data.get(name) is True for name in CONSEQUENCES):
        return None
    return (
        "a false commitment is met with a measure: set terminated, rectification_ordered, "
        f"decision_revoked or penalty_case ({GUIDELINE})"
    )


@guard(
    "a false commitment is repaired once its measures are carried out", GUIDELINE, needs_data=True
)
def commitment_repair_conditions(ctx: StepContext, **_: Any) -> GuardResult:
    """The measures are carried out and an integrity commitment is given."""
    problems = []
    if ctx.data.get("measures_carried_out") is not True:
        problems.append(f"measures_carried_out: the measures are not all carried out ({GUIDELINE})")
    if ctx.data.get("integrity_commitment") is not True:
        problems.append(f"integrity_commitment: no integrity commitment was given ({GUIDELINE})")
    return problems or None


GUARDS = guards_in(globals())
"""The guards above, in the order they are defined (registered by the baseline plugin)."""
