"""The baseline guards: rules of the national procedure that any workflow definition may require
by name (the limitation period, certified officers, a statutory clock still running), and the
withdrawal of an officer (回避) that the baseline plugin enforces on every step; and what the
follow-up workflows' guards share to read the matter a follow-up follows and word a value that
contradicts it.

Each guard returns None when the step may go on, or reasons citing the article that refuses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import add_years
from zhifa.hooks.types import GuardResult, StepContext, guard, guards_in
from zhifa.store.tables import Event, Matter, MatterLink

LIMITATION_YEARS = 2
LIMITATION_YEARS_SERIOUS = 5
ART_36 = "行政处罚法 第三十六条"
ART_42 = "行政处罚法 第四十二条"


def limitation_ends(act_date: date, serious_harm: bool) -> date:
    """The last day on which an act of ``act_date`` can still be discovered and penalised.

    Two years, or five where life, health or financial security is involved and harm occurred,
    counted from the act or the end of a continuing act; the day of the act is not counted.
    """
    return add_years(act_date, LIMITATION_YEARS_SERIOUS if serious_harm else LIMITATION_YEARS)


@guard(
    "the act was discovered within the limitation period (2 years; 5 with harm to life, "
    "health or financial security)",
    ART_36,
    needs_data=True,
)
def within_limitation_period(
    ctx: StepContext,
    act_field: str = "act_date",
    harm_field: str = "serious_harm",
    discovered_field: str | None = None,
    **_: Any,
) -> GuardResult:
    """The act was discovered within its limitation period (Art 36).

    The period runs to the day the violation was discovered: the date in ``discovered_field``
    when the step records one, else the day the matter was received (for a matter being opened,
    the day of the step).
    """
    raw = ctx.data.get(act_field)
    if raw is None:
        return (
            f"the date of the act ({act_field}) is needed to check the limitation period ({ART_36})"
        )
    act = date.fromisoformat(raw)
    given = ctx.data.get(discovered_field) if discovered_field else None
    discovered = date.fromisoformat(given) if given else ctx.received_on
    what = "violation was discovered" if given else "matter was received"
    if given and discovered > ctx.at.date():
        return (
            f"the day of discovery {discovered} is after this step ({ctx.at.date()}); give the day "
            "the clue was received or the inspection found the violation"
        )
    if act > discovered:
        return (
            f"the act date {act} is after {discovered}, the day the {what}; "
            "give the date of the act or of the end of a continuing act"
        )
    serious = bool(ctx.data.get(harm_field))
    last = limitation_ends(act, serious)
    if discovered > last:
        years = LIMITATION_YEARS_SERIOUS if serious else LIMITATION_YEARS
        return (
            f"the act of {act} was discovered on {discovered}, after its {years}-year limitation "
            f"period ended on {last} ({ART_36}); no penalty may be given — decide not to open a "
            "case (ground: beyond_limitation)"
        )
    return None


@guard(
    "every officer named in the step holds an enforcement certificate valid on its date, "
    "belongs to the matter's department and, where given, holds the role",
    ART_42,
    needs_data=True,
)
def officers_certified(
    ctx: StepContext, field: str | None = None, role: str | None = None, **_: Any
) -> GuardResult:
    """Officers named in the step hold a valid certificate on its date, in the matter's department."""
    names = (
        [field]
        if field
        else [f.name for f in ctx.step.fields.values() if f.type in ("officer", "officers")]
    )
    department = ctx.matter.department if ctx.matter else ctx.actor.department
    day = ctx.at.date()

    def problems() -> Iterator[str]:
        for name in names:
            value = ctx.data.get(name)
            ids = [value] if isinstance(value, str) else list(value or ())
            for oid in ids:
                officer = ctx.officers.get(oid)
                if officer is None:
                    yield f"{name}: officer {oid!r} does not exist"
                    continue
                problem = officer.certificate_problem(day)
                if problem:
                    yield f"{name}: {problem}; enforcement needs certified officers ({ART_42})"
                if officer.department != department:
                    yield f"{name}: {officer.label()} belongs to {officer.department}, not {department}"
                if role and role not in officer.roles:
                    yield f"{name}: {officer.label()} does not hold the role {role}"

    return list(problems())


@guard("the named statutory clock is running and has not passed its deadline")
def clock_not_expired(ctx: StepContext, clock: str = "", **_: Any) -> GuardResult:
    """The named clock is running and its deadline has not passed on the step's date."""
    state = ctx.clock(clock)
    if state is None or state.status != "running" or state.due_on is None:
        return (
            f"the {state.spec.label if state else clock} is not running, so it cannot be extended"
        )
    if ctx.at.date() > state.due_on:
        return (
            f"the {state.spec.label} ended on {state.due_on}; an extension must be approved before "
            f"it ends ({state.spec.basis})"
        )
    return None


RECUSE = "recuse"  # the trigger by which an officer withdraws from a matter (回避)
ART_43 = "行政处罚法 第四十三条"


@guard(
    "the step is taken by the last day of the named clock, or the delay is explained",
    needs_data=True,
)
def on_time_or_explained(
    ctx: StepContext, clock: str = "", reason_field: str = "delay_reason", **_: Any
) -> GuardResult:
    """Taken by the due day of ``clock`` (as it stands before the step), or ``reason_field``
    explains the delay: a late step is recorded with its reason, and the clock shows it missed."""
    state = ctx.clock(clock)
    if state is None or state.due_on is None or ctx.at.date() <= state.due_on:
        return None
    if str(ctx.data.get(reason_field) or "").strip():
        return None
    unit = "working days" if state.spec.unit == "working_days" else "days"
    return (
        f"the {state.spec.label} allows {state.allowed} {unit} from {state.started_on}, to "
        f"{state.due_on}; {ctx.at.date()} is late ({state.spec.basis}); record the reason for "
        f"the delay in {reason_field}"
    )


def withdrawn_officers(ctx: StepContext) -> dict[str, str]:
    """Officers who withdrew from this matter by an earlier ``recuse`` step (id → reason)."""
    if ctx.matter is None or RECUSE not in ctx.definition.triggers:
        return {}
    rows = ctx.session.scalars(
        sa.select(Event.data)
        .where(Event.matter_id == ctx.matter.id, Event.trigger == RECUSE)
        .order_by(Event.seq)
    )
    found: dict[str, str] = {}
    for raw in rows:
        data = json.loads(raw)
        found[str(data.get("officer"))] = str(data.get("reason") or "")
    return found


def withdrawn_actor(ctx: StepContext) -> GuardResult:
    """An officer who withdrew from a matter takes no further step in it (Art 43)."""
    withdrawn = withdrawn_officers(ctx)
    if ctx.actor.id in withdrawn:
        return (
            f"{ctx.actor.label()} withdrew from matter {ctx.matter.id if ctx.matter else ''} "
            f"({withdrawn[ctx.actor.id]}) and takes no further step in it ({ART_43})"
        )
    return None


# -- follow-ups: the facts a matter shares with the one it follows -------------------------------

FOLLOWS = "follows"  # the kind of link from a matter to the follow-up opened on it


def same_text(given: Any, recorded: Any) -> bool:
    """Whether two texts say the same, spaces aside (a number or name typed with a space)."""
    return "".join(str(given).split()) == "".join(str(recorded).split())


def contradicts(
    field_name: str, given: Any, recorded: Any, parent: str, where: str, basis: str
) -> str:
    """The one sentence refusing a follow-up's value that differs from its parent's record:
    the field, the value given, the parent matter (e.g. "publication matter 12"), its value and
    the step of the parent that recorded it."""
    return (
        f"{field_name} {given} contradicts {parent}, which records {recorded} ({where}); give "
        f"{recorded} — a follow-up takes the facts it shares from the matter it follows ({basis})"
    )


def followed_matter(ctx: StepContext) -> tuple[int, str] | None:
    """The id and workflow of the matter the step's matter follows (for a step of an opened
    matter; an opening sees its parent in ``ctx.follows``), or None."""
    if ctx.matter is None:
        return None
    row = ctx.session.execute(
        sa.select(Matter.id, Matter.workflow)
        .join(MatterLink, MatterLink.source_id == Matter.id)
        .where(MatterLink.target_id == ctx.matter.id, MatterLink.kind == FOLLOWS)
        .order_by(Matter.id)
        .limit(1)
    ).first()
    return None if row is None else (int(row.id), str(row.workflow))


def latest_step_data(ctx: StepContext, matter_id: int, trigger: str) -> dict[str, Any] | None:
    """The data recorded by ``matter_id``'s latest ``trigger`` step, read from its events (the
    append-only record, not the matter row), or None when it has no such step."""
    raw = ctx.session.scalar(
        sa.select(Event.data)
        .where(Event.matter_id == matter_id, Event.trigger == trigger)
        .order_by(Event.seq.desc())
        .limit(1)
    )
    if raw is None:
        return None
    data = json.loads(raw)
    return data if isinstance(data, dict) else {}


def follow_ups(ctx: StepContext, parent_id: int) -> list[tuple[int, str]]:
    """The id and state of every matter of the step's workflow that follows ``parent_id``,
    oldest first."""
    rows = ctx.session.execute(
        sa.select(Matter.id, Matter.state)
        .join(MatterLink, MatterLink.target_id == Matter.id)
        .where(
            MatterLink.source_id == parent_id,
            MatterLink.kind == FOLLOWS,
            Matter.workflow == ctx.definition.name,
        )
        .order_by(Matter.id)
    ).all()
    return [(int(r.id), str(r.state)) for r in rows]


BASELINE_GUARDS = guards_in(globals())
"""The guards above, in the order they are defined; the baseline plugin registers them first."""
