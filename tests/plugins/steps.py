"""Plugins that take part in every step: one refuses steps, one keeps its own rows."""

from __future__ import annotations

from collections.abc import Iterable

from zhifa import hookimpl
from zhifa.hooks.types import EventRecord, StepContext
from zhifa.store.tables import Department


class Veto:
    """A department rule refusing ``trigger`` (every step, the opening too, when None) with
    ``reason``; ``asked`` lists the steps it was asked about."""

    __name__ = "veto"

    def __init__(
        self, trigger: str | None = None, reason: str = "本局规定：暂停受理（示例）"
    ) -> None:
        self.trigger, self.reason = trigger, reason
        self.asked: list[str] = []

    @hookimpl
    def zhifa_before_transition(self, ctx: StepContext) -> Iterable[str] | None:
        self.asked.append(ctx.step.name)
        if self.trigger is None or ctx.step.name == self.trigger:
            return [self.reason]
        return None


class NotingPlugin:
    """Keeps its own row per step through ``ctx.session``, as a department's archive plugin would:
    a department ``N<seq>`` named ``档案<matter id>``. Raises after adding the row of the step
    ``fail_on``."""

    __name__ = "noting-plugin"

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on

    @hookimpl
    def zhifa_after_transition(self, ctx: StepContext, event: EventRecord) -> None:
        ctx.session.add(
            Department(code=f"N{event.seq}", name=f"档案{event.matter_id}", region_code="110101")
        )
        if event.trigger == self.fail_on:
            raise ValueError("archive full")
