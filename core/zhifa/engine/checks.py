"""The rules a step must pass before anything is written: the :class:`StepContext` the rules see,
the definition's guards and the plugins' ``zhifa_before_transition``, every reason reported
together in one :class:`~zhifa.errors.GuardRefused`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from zhifa.calendar import WorkCalendar
from zhifa.engine.registry import Registry
from zhifa.errors import GuardRefused, PluginError
from zhifa.hooks.types import Actor, Guard, MatterView, StepContext
from zhifa.plugins import Plugins
from zhifa.store import Transaction
from zhifa.workflow.deadlines import Step
from zhifa.workflow.definitions import Definition, StepSpec


def reasons_of(result: Any) -> list[str]:
    """A guard's or hook's answer as a list of reasons: None, one reason, or several."""
    if result is None:
        return []
    if isinstance(result, str):
        return [result]
    return [str(r) for r in result]


def run_guard(plugin: str, guard: Guard, ctx: StepContext, args: Mapping[str, Any]) -> list[str]:
    """The reasons ``guard`` (of ``plugin``) gives against the step; its failure is the plugin's."""
    try:
        return reasons_of(guard.check(ctx, **args))
    except Exception as exc:
        raise PluginError(plugin, f"guard {guard.name}", exc) from exc


class StepChecks:
    """Builds a step's context and runs its guards and the before-transition hooks."""

    def __init__(self, registry: Registry, plugins: Plugins, calendar: WorkCalendar) -> None:
        self.registry = registry
        self.plugins = plugins
        self.calendar = calendar
        self.guards = registry.guards

    def context(
        self,
        tx: Transaction,
        defn: Definition,
        step: StepSpec,
        actor: Actor,
        data: Mapping[str, Any],
        at: datetime,
        matter: MatterView | None,
        steps: Sequence[Step],
        officers: Mapping[str, Actor],
        entity_id: int | None = None,
        department: str | None = None,
        follows: MatterView | None = None,
        follows_history: Sequence[Step] = (),
    ) -> StepContext:
        """The context of a step; ``follows`` and ``follows_history`` (an opening only) are the
        matter the new one follows and its steps."""
        return StepContext(
            transaction=tx,
            definition=defn,
            step=step,
            actor=actor,
            data=data,
            at=at,
            calendar=self.calendar,
            matter=matter,
            history=steps,
            officers=officers,
            entity_id=matter.entity_id if matter is not None else entity_id,
            department=matter.department if matter is not None else department,
            catalogue=self.registry.catalogue_of(
                matter.department if matter is not None else department
            ),
            follows=follows,
            follows_history=follows_history,
        )

    def check_guards(self, ctx: StepContext) -> None:
        """Refuse the step with every reason the guards give, or else the before-transition
        hooks of the plugins the matter's department uses."""
        reasons: list[str] = []
        for ref in ctx.step.guards:
            plugin, guard = self.guards[ref.name]
            reasons += run_guard(plugin, guard, ctx, ref.args)
        if not reasons:
            dept = ctx.matter.department if ctx.matter is not None else ctx.department
            for _plugin, result in self.plugins.call(
                "zhifa_before_transition", for_department=dept, ctx=ctx
            ):
                reasons += reasons_of(result)
        if reasons:
            what = "open the matter" if ctx.matter is None else f"take the step {ctx.step.name!r}"
            raise GuardRefused(f"the rules do not allow to {what} now", reasons)
