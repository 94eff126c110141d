"""What the engine reads and never writes: a matter, its history and clocks, the matters linked to
it, the running clocks and owed follow-ups of ``zhifa due``, the lists of matters, and which
triggers an officer may take now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import WorkCalendar
from zhifa.engine.actors import officer as read_officer
from zhifa.engine.actors import permission_problems
from zhifa.engine.checks import StepChecks
from zhifa.engine.registry import Registry
from zhifa.engine.results import DueItem, TriggerOption
from zhifa.engine.statements import (
    CLOCKS,
    EVENTS,
    FOLLOWS,
    LINKS,
    MATTERS,
    event_record,
    matter_steps,
    matter_view,
)
from zhifa.errors import NotFoundError
from zhifa.hooks.types import EventRecord, MatterView
from zhifa.store import Store, Transaction
from zhifa.timekeeping import Clock, to_beijing
from zhifa.workflow.deadlines import ClockState, Step, compute
from zhifa.workflow.definitions import EXPECTED_STATE


def names(view: MatterView, officer: str | None) -> bool:
    """Whether ``officer`` is named anywhere in the matter's recorded step data."""
    if officer is None:
        return False

    def found(value: Any) -> bool:
        if isinstance(value, str):
            return value == officer
        if isinstance(value, Mapping):
            return any(found(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(found(v) for v in value)
        return False

    return found(view.data)


class Reads:
    """The engine's reads: each runs in a read session of the store."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        checks: StepChecks,
        clock: Clock,
        calendar: WorkCalendar,
    ) -> None:
        self.store = store
        self.registry = registry
        self.checks = checks
        self.clock = clock
        self.calendar = calendar

    def load(self, matter_id: int) -> MatterView:
        with self.store.read() as session:
            row = session.execute(sa.select(MATTERS).where(MATTERS.c.id == matter_id)).first()
            if row is None:
                raise NotFoundError(
                    f"matter {matter_id} does not exist; list matters with `zhifa matter list`"
                )
            return matter_view(row)

    def history(self, matter_id: int) -> list[EventRecord]:
        matter = self.load(matter_id)
        with self.store.read() as session:
            rows = session.execute(
                sa.select(EVENTS).where(EVENTS.c.matter_id == matter_id).order_by(EVENTS.c.seq)
            ).all()
        return [event_record(r, matter.workflow) for r in rows]

    def clocks(self, matter: int | MatterView, today: date | None = None) -> list[ClockState]:
        """The matter's clocks as of ``today`` (default: the engine clock's date), recomputed."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        defn = self.registry.definition(view.workflow, view.workflow_version)
        with self.store.read() as session:
            steps = matter_steps(session.connection(), view.id)
        day = today or self.clock.now().date()
        out = []
        for spec in defn.clocks.values():
            state = compute(spec, steps, self.calendar, day)
            if state is not None:
                out.append(state)
        return out

    def links(self, matter_id: int) -> tuple[list[MatterView], list[MatterView]]:
        """The matters ``matter_id`` follows, and those that follow it (oldest first)."""
        with self.store.read() as session:
            rows = session.execute(
                sa.select(LINKS.c.source_id, LINKS.c.target_id)
                .where(sa.or_(LINKS.c.source_id == matter_id, LINKS.c.target_id == matter_id))
                .order_by(LINKS.c.id)
            ).all()
            ids = {r.source_id for r in rows} | {r.target_id for r in rows}
            views = {
                r.id: matter_view(r)
                for r in session.execute(sa.select(MATTERS).where(MATTERS.c.id.in_(ids)))
            }
        before = [views[r.source_id] for r in rows if r.target_id == matter_id]
        after = [views[r.target_id] for r in rows if r.source_id == matter_id]
        return before, after

    def story(self, matter_id: int) -> list[tuple[int, MatterView]]:
        """The whole chain of linked matters around ``matter_id``, as (depth, matter) in
        reading order: from the first matter it came from down through everything that followed."""
        root = self.load(matter_id)
        seen = {root.id}
        while True:
            before, _ = self.links(root.id)
            earlier = [m for m in before if m.id not in seen]
            if not earlier:
                break
            root = earlier[0]
            seen.add(root.id)
        out: list[tuple[int, MatterView]] = []
        walked: set[int] = set()

        def walk(view: MatterView, depth: int) -> None:
            if view.id in walked:
                return
            walked.add(view.id)
            out.append((depth, view))
            for child in self.links(view.id)[1]:
                walk(child, depth + 1)

        walk(root, 0)
        return out

    def due(
        self,
        *,
        department: str | None = None,
        officer: str | None = None,
        within: int | None = None,
        today: date | None = None,
    ) -> list[DueItem]:
        """Running statutory clocks, soonest first: overdue ones, and with ``within`` only those
        due in the next ``within`` days. Each clock is recomputed from the record, so a
        provisional deadline is corrected as soon as calendar data exists. ``officer`` keeps the
        matters that officer took a step on or is named in."""
        day = today or self.clock.now().date()
        query = (
            sa.select(MATTERS)
            .where(
                MATTERS.c.id.in_(sa.select(CLOCKS.c.matter_id).where(CLOCKS.c.status == "running"))
            )
            .order_by(MATTERS.c.id)
        )
        if department:
            query = query.where(MATTERS.c.department_code == department)
        items: list[DueItem] = []
        with self.store.read() as session:
            views = [matter_view(r) for r in session.execute(query)]
            involved: set[int] | None = None
            if officer is not None:
                read_officer(session.connection(), officer)
                involved = set(
                    session.scalars(
                        sa.select(EVENTS.c.matter_id).where(EVENTS.c.actor_id == officer)
                    )
                )
            for view in views:
                if involved is not None and view.id not in involved and not names(view, officer):
                    continue
                defn = self.registry.definition(view.workflow, view.workflow_version)
                steps = matter_steps(session.connection(), view.id)
                for spec in defn.clocks.values():
                    state = compute(spec, steps, self.calendar, day)
                    if state is None or state.status != "running" or state.due_on is None:
                        continue
                    if within is not None and (state.due_on - day).days > within:
                        continue
                    items.append(DueItem(view, state))
            for item in self.owed(session.connection(), day, department):
                view = item.matter
                if involved is not None and view.id not in involved and not names(view, officer):
                    continue
                if within is not None and (item.clock.due_on or day) > day + timedelta(within):
                    continue
                items.append(item)
        items.sort(key=lambda i: (i.clock.due_on or day, i.matter.id))
        return items

    def expected(self, matter: int | MatterView, today: date | None = None) -> list[DueItem]:
        """The follow-up matters ``matter`` still owes (declared by other workflows' ``expected``),
        each with its deadline as of ``today``; one that was opened following it is no longer
        owed."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        day = today or self.clock.now().date()
        with self.store.read() as session:
            return self.owed(session.connection(), day, None, view.id)

    def owed(
        self, conn: sa.Connection, day: date, department: str | None, matter_id: int | None = None
    ) -> list[DueItem]:
        """Follow-ups owed and not yet opened: for each workflow's expectation, the earlier
        matters that took one of its triggers, satisfy its conditions and have no follower of
        that workflow; the clock counts from the latest such step."""
        owed: list[DueItem] = []
        follower = MATTERS.alias("follower")
        for defn in self.registry.workflows():
            for exp in defn.expected:
                opened = (
                    sa.select(LINKS.c.source_id)
                    .join(follower, follower.c.id == LINKS.c.target_id)
                    .where(LINKS.c.kind == FOLLOWS, follower.c.workflow == defn.name)
                )
                latest = (
                    sa.select(EVENTS.c.matter_id, sa.func.max(EVENTS.c.seq).label("seq"))
                    .where(EVENTS.c.trigger.in_(sorted(exp.triggers)))
                    .group_by(EVENTS.c.matter_id)
                    .subquery()
                )
                query = (
                    sa.select(MATTERS, EVENTS.c.occurred_at, EVENTS.c.trigger.label("z_trigger"))
                    .join(latest, latest.c.matter_id == MATTERS.c.id)
                    .join(
                        EVENTS,
                        (EVENTS.c.matter_id == latest.c.matter_id) & (EVENTS.c.seq == latest.c.seq),
                    )
                    .where(MATTERS.c.workflow == exp.workflow, MATTERS.c.id.not_in(opened))
                    .order_by(MATTERS.c.id)
                )
                if department:
                    query = query.where(MATTERS.c.department_code == department)
                if matter_id is not None:
                    query = query.where(MATTERS.c.id == matter_id)
                for row in conn.execute(query):
                    view = matter_view(row)
                    if not exp.owed(view.data):
                        continue
                    raw = row.occurred_at
                    at = raw if isinstance(raw, datetime) else datetime.fromisoformat(raw)
                    step = Step(at.date(), row.z_trigger, EXPECTED_STATE)
                    state = compute(exp.clock, [step], self.calendar, day)
                    if state is not None:
                        owed.append(DueItem(view, state, follow_up=defn.name))
        return owed

    def matters(
        self, *, workflow: str | None = None, state: str | None = None, limit: int | None = None
    ) -> list[MatterView]:
        """Matters, newest first, optionally filtered."""
        query = sa.select(MATTERS).order_by(MATTERS.c.id.desc())
        if workflow:
            query = query.where(MATTERS.c.workflow == workflow)
        if state:
            query = query.where(MATTERS.c.state == state)
        if limit:
            query = query.limit(limit)
        with self.store.read() as session:
            return [matter_view(r) for r in session.execute(query)]

    def available_triggers(
        self, matter: int | MatterView, actor: str, at: datetime | None = None
    ) -> list[TriggerOption]:
        """Every trigger of the matter's workflow: whether ``actor`` may take it now, and why not."""
        view = matter if isinstance(matter, MatterView) else self.load(matter)
        moment = to_beijing(at) if at else self.clock.now()
        defn = self.registry.definition(view.workflow, view.workflow_version)
        options = []
        with self.store.read() as session:
            tx = Transaction(session.connection(), session)
            officer = read_officer(tx.connection, actor)
            steps = matter_steps(tx.connection, view.id)
            for step in defn.triggers.values():
                reasons: list[str] = []
                if view.state not in step.moves:
                    here = defn.states[view.state].label
                    reasons.append(f"not possible in state {view.state} {here}")
                reasons += permission_problems(step, officer, view.department, moment.date())
                waiting: list[str] = []
                if not reasons:
                    ctx = self.checks.context(tx, defn, step, officer, {}, moment, view, steps, {})
                    for ref in step.guards:
                        plugin, guard = self.registry.guards[ref.name]
                        if guard.needs_data and step.fields:
                            waiting.append(f"{ref.name}: {guard.description}")
                            continue
                        reasons += self.checks.run_guard(plugin, guard, ctx, ref.args)
                options.append(
                    TriggerOption(
                        name=step.name,
                        label=str(step.label),
                        allowed=not reasons,
                        reasons=tuple(reasons),
                        waiting_for=tuple(waiting),
                        fields=tuple(step.fields.values()),
                    )
                )
        return options
