"""Advancing a matter by one step, in one transaction: load the matter with the acting officer
(a stale :class:`~zhifa.hooks.types.MatterView` is a conflict), check the trigger and the
officer, validate the data, run the guards, fire the trigger on the definition's shared machine,
and write the step (:mod:`zhifa.engine.writing`).

The steps of recently advanced matters are kept between their steps, so a matter's next step
does not read its history again."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from zhifa.engine.actors import named_officers, no_officer, permission_problems
from zhifa.engine.checks import StepChecks
from zhifa.engine.inputs import step_data, step_time
from zhifa.engine.registry import Registry
from zhifa.engine.results import StepResult
from zhifa.engine.statements import SELECT_MATTER_AND_ACTOR, matter_view, timed_steps
from zhifa.engine.writing import StepWriter, conflict, step_moment
from zhifa.errors import InputError, NotFoundError, PermissionRefused, RefusedError
from zhifa.hooks.types import Actor, MatterView
from zhifa.identity import Session, Signed
from zhifa.record import Evidence
from zhifa.store import Store
from zhifa.timekeeping import Clock
from zhifa.workflow import fields as fieldval
from zhifa.workflow.deadlines import Step

RECENT_MATTERS = 4096  # matters whose step history an engine keeps between their steps


class Stepper:
    """Takes the steps of existing matters."""

    def __init__(
        self,
        store: Store,
        registry: Registry,
        checks: StepChecks,
        writer: StepWriter,
        clock: Clock,
        signed: Signed,
    ) -> None:
        self.store = store
        self.signed = signed
        self.registry = registry
        self.checks = checks
        self.writer = writer
        self.clock = clock
        # The steps of recently advanced matters, keyed by matter id with the matter version
        # they are the history of. Events are append-only and a matter's version counts them, so
        # an entry whose version matches the row read in a step's transaction is that history.
        self._recent: OrderedDict[int, tuple[int, tuple[tuple[Step, datetime], ...]]] = (
            OrderedDict()
        )

    def advance(
        self,
        matter: int | MatterView,
        trigger: str,
        actor: str | Session,
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
        *,
        evidence: Sequence[Evidence] = (),
    ) -> tuple[StepResult, list[tuple[Step, datetime]], Step]:
        """Take one step and commit it; the steps before it and the step as the clocks see it
        come back with the result, for :meth:`remember`."""
        matter_id = matter.id if isinstance(matter, MatterView) else matter
        fields = step_data(data)
        at = step_time(at)
        with self.store.transaction() as tx:
            conn = tx.connection
            actor_id, auth = self.signed.acting(conn, actor, self.clock.now())
            row = conn.execute(
                SELECT_MATTER_AND_ACTOR, {"z_id": matter_id, "z_actor": actor_id}
            ).first()
            if row is None:
                raise NotFoundError(
                    f"matter {matter_id} does not exist; list matters with `zhifa matter list`"
                )
            view = matter_view(row)
            if isinstance(matter, MatterView) and matter.version != view.version:
                raise conflict(matter_id, matter.version, view.version)
            defn = self.registry.definition_for(
                tx, view.workflow, view.workflow_version, register=False
            )
            step = defn.triggers.get(trigger)
            if step is None:
                raise InputError(
                    f"the {defn.name} workflow has no trigger {trigger!r}; its triggers are "
                    f"{', '.join(defn.triggers)}"
                )
            if view.state not in step.moves:
                possible = [t.name for t in defn.triggers_from(view.state)] or [
                    "none: it is closed"
                ]
                raise RefusedError(
                    f"matter {matter_id} is {view.state} {defn.states[view.state].label}; "
                    f"{trigger!r} cannot be taken from there (possible now: {', '.join(possible)})"
                )
            if row.actor_id is None:
                raise no_officer(actor_id)
            officer = dataclasses.replace(Actor.from_row(row, "actor_"), auth=auth)
            known = self._recent.get(matter_id)
            timed = (
                list(known[1])
                if known is not None and known[0] == view.version
                else timed_steps(conn, matter_id)
            )
            if len(timed) > view.version:
                # a step committed between reading the matter and reading its steps
                raise conflict(matter_id, view.version, len(timed))
            steps = [s for s, _ in timed]
            # the clock is read once the matter's steps are: a step committed just before this
            # one never makes "now" look earlier than the matter's last step
            recorded = self.clock.now()
            moment = step_moment(at, recorded, timed[-1][1] if timed else None)
            problems = permission_problems(step, officer, view.department, moment.date())
            if problems:
                raise PermissionRefused(
                    f"{officer.label()} may not take the step {trigger!r} on matter {matter_id}",
                    problems,
                )
            values = fieldval.validate(step, fields)
            officers = named_officers(conn, step, values)
            ctx = self.checks.context(
                tx, defn, step, officer, values, moment, view, steps, officers
            )
            self.checks.check_guards(ctx)
            to_state = self.registry.compiled(defn).fire(view.state, trigger)
            derived = dict(ctx.derived)
            new_data = {**view.data, trigger: {**values, **derived}}
            result, taken = self.writer.append(
                tx,
                defn,
                ctx,
                matter_id,
                view.version,
                view.head_hash,
                to_state,
                values,
                moment,
                recorded,
                evidence,
                steps,
                extra=derived,
                matter_data=new_data,
                from_state=view.state,
            )
        return result, timed, taken

    def remember(
        self, result: StepResult, earlier: Sequence[tuple[Step, datetime]], step: Step
    ) -> None:
        """After a step's commit: remember the matter's steps (``earlier`` and the ``step`` just
        taken) for its next step."""
        e = result.event
        steps = (*earlier, (step, e.occurred_at))
        self._recent[e.matter_id] = (result.matter.version, steps)
        self._recent.move_to_end(e.matter_id)
        if len(self._recent) > RECENT_MATTERS:
            self._recent.popitem(last=False)
