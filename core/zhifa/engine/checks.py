"""The rules a step must pass before anything is written: the :class:`StepContext` the rules see,
the definition's guards and the plugins' ``zhifa_before_transition``, every reason reported
together in one :class:`~zhifa.errors.GuardRefused`, and the effects they declared.

Guards and ``zhifa_before_transition`` only read: they run in a read-only view of the step's
transaction, each call within its plugin's time limit (:mod:`zhifa.engine.readonly`). A department
that uses a broken plugin takes no step (:class:`~zhifa.errors.PluginBroken`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from zhifa.calendar import WorkCalendar
from zhifa.engine.readonly import read_only
from zhifa.engine.registry import Registry
from zhifa.errors import GuardRefused
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


def judging(check: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], list[str]]:
    """A call of ``check(*args, **kwargs)`` whose answer is read as reasons in the call (so a
    generator of reasons runs within the plugin's time limit, too)."""
    return lambda: reasons_of(check(*args, **kwargs))


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
        matter the new one follows and its steps. :class:`~zhifa.errors.PluginBroken` when the
        matter's department uses a broken plugin."""
        dept = matter.department if matter is not None else department
        self.plugins.require(dept)
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
            department=dept,
            catalogue=self.registry.catalogue_of(dept),
            follows=follows,
            follows_history=follows_history,
        )

    def run_guard(
        self, plugin: str, guard: Guard, ctx: StepContext, args: Mapping[str, Any]
    ) -> list[str]:
        """The reasons ``guard`` (of ``plugin``) gives against the step, read-only and within the
        plugin's time limit; its failure is the plugin's. It declares no effect (``zhifa matter
        triggers``: no step is taken)."""
        with read_only(ctx, self.plugins) as step:
            return step.call(plugin, f"guard {guard.name}", judging(guard.check, step.view, **args))

    def check_guards(self, ctx: StepContext) -> None:
        """Refuse the step with every reason the guards give, or else the before-transition
        hooks of the plugins the matter's department uses; once none refuses, the effects they
        declared are the step's (``ctx.effects``)."""
        reasons: list[str] = []
        dept = ctx.matter.department if ctx.matter is not None else ctx.department
        with read_only(ctx, self.plugins) as step:
            view = step.view
            for ref in ctx.step.guards:
                plugin, guard = self.guards[ref.name]
                check = judging(guard.check, view, **ref.args)
                reasons += step.call(plugin, f"guard {guard.name}", check)
            if not reasons:
                for plugin, hook in self.plugins.implementations("zhifa_before_transition", dept):
                    reasons += step.call(plugin, "zhifa_before_transition", judging(hook, ctx=view))
        if reasons:
            what = "open the matter" if ctx.matter is None else f"take the step {ctx.step.name!r}"
            raise GuardRefused(f"the rules do not allow to {what} now", reasons)
        ctx.effects = tuple(step.effects)
