"""What the engine reads and never writes: a matter, its history and clocks, the matters linked to
it, the lists of matters, and which triggers an officer may take now (the due lists are
:mod:`zhifa.engine.due`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from zhifa.calendar import WorkCalendar
from zhifa.engine.actors import officer as read_officer
from zhifa.engine.actors import permission_problems
from zhifa.engine.checks import StepChecks
from zhifa.engine.registry import Registry
from zhifa.engine.results import TriggerOption
from zhifa.engine.statements import (
    EVENTS,
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
from zhifa.workflow.deadlines import ClockState, compute


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
