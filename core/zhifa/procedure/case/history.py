"""What a penalty case's record says, as its guards need it: the latest step of a kind, the
case's handlers (named, withdrawn, current), who investigated it, and the party's kind.

Guards read the matter's earlier steps through ``ctx.history`` (dates, triggers, states) and
``ctx.earlier`` (the latest fields recorded by a trigger); the handlers and investigators come from
the recorded events.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from zhifa.hooks.types import StepContext
from zhifa.procedure.case.thresholds import ORGANISATION, SIMPLE_LIMIT
from zhifa.store.tables import Event
from zhifa.workflow.deadlines import Step


def latest(history: Sequence[Step], *triggers: str) -> int | None:
    """Index of the latest step with one of ``triggers``, or None."""
    for i in range(len(history) - 1, -1, -1):
        if history[i].trigger in triggers:
            return i
    return None


def latest_after(history: Sequence[Step], trigger: str, index: int | None) -> int | None:
    """Index of the latest ``trigger`` step if it comes after ``index`` (None: any), else None."""
    found = latest(history, trigger)
    if found is None or (index is not None and found < index):
        return None
    return found


def _handler_changes(ctx: StepContext) -> list[tuple[str, list[str]]]:
    """Withdrawals and handlers named after them, oldest first: ("recuse", [officer]) or
    ("name_handlers", [handlers])."""
    if ctx.matter is None:
        return []
    rows = ctx.session.execute(
        sa.select(Event.trigger, Event.data)
        .where(Event.matter_id == ctx.matter.id, Event.trigger.in_(("recuse", "name_handlers")))
        .order_by(Event.seq)
    )
    changes = []
    for trigger, raw in rows:
        data = json.loads(raw)
        named = [data["officer"]] if trigger == "recuse" else list(data.get("handlers") or ())
        changes.append((trigger, [str(n) for n in named]))
    return changes


def current_handlers(ctx: StepContext) -> list[str]:
    """The case's handlers now: those named at filing, less those who withdrew, plus those named
    after a withdrawal (Art 42, 43)."""
    handlers = [str(h) for h in ctx.earlier("open", "handlers") or ()]
    for trigger, officers in _handler_changes(ctx):
        if trigger == "recuse":
            handlers = [h for h in handlers if h not in officers]
        else:
            handlers += [o for o in officers if o not in handlers]
    return handlers


def withdrawn_handlers(ctx: StepContext) -> set[str]:
    """The officers who withdrew from the case (its ``recuse`` steps)."""
    return {o for t, officers in _handler_changes(ctx) if t == "recuse" for o in officers}


def named_handlers(ctx: StepContext) -> list[str]:
    """Everyone named a handler of the case at any time (an officer who withdrew did handle it)."""
    named = [str(h) for h in ctx.earlier("open", "handlers") or ()]
    for trigger, officers in _handler_changes(ctx):
        if trigger == "name_handlers":
            named += [o for o in officers if o not in named]
    return named


# Steps of the investigation: whoever took one investigated the case, named as a handler or not.
INVESTIGATION_STEPS = (
    "start_testing",
    "finish_testing",
    "start_public_notice",
    "end_public_notice",
    "conclude_investigation",
    "notify",
)


def investigators(ctx: StepContext) -> set[str]:
    """The named case handlers and every officer who took a step of the investigation."""
    found = set(named_handlers(ctx))
    if ctx.matter is not None:
        found |= set(
            ctx.session.scalars(
                sa.select(Event.actor_id).where(
                    Event.matter_id == ctx.matter.id, Event.trigger.in_(INVESTIGATION_STEPS)
                )
            )
        )
    return found


def party_kind(ctx: StepContext) -> str:
    """The party's kind recorded at opening (person or organisation); an organisation if none."""
    kind = ctx.earlier("open", "party_kind")
    return kind if kind in SIMPLE_LIMIT else ORGANISATION
