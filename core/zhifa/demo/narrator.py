"""The narrator every story speaks through: ``Narrator`` sets the simulated clock, prints each step
with the state it reaches and its deadlines, and shows the steps the rules refuse;
``clock_summary`` renders one deadline clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from zhifa.engine import Engine, StepResult
from zhifa.errors import ZhifaError
from zhifa.hooks.types import MatterView
from zhifa.timekeeping import FixedClock
from zhifa.workflow.deadlines import ClockState


class Narrator:
    """Tells the stories on one engine and simulated clock, printing to ``out``."""

    def __init__(self, engine: Engine, clock: FixedClock, out: Callable[[str], None]) -> None:
        self.engine, self.clock, self.out = engine, clock, out

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def step(self, result: StepResult, note: str) -> MatterView:
        m, ev = result.matter, result.event
        label = self.engine.definition(m.workflow, m.workflow_version).states[m.state].label
        self.out(f"  {ev.occurred_at:%m-%d %H:%M}  {note}  → {m.state} {label}")
        for c in result.clocks:
            self.out(f"               {clock_summary(c)}")
        return m

    def refused(self, note: str, action: Callable[[], object]) -> None:
        try:
            action()
        except ZhifaError as exc:
            self.out(f"  refused: {note}")
            self.out(f"     {exc.message}")
            for line in exc.details():
                self.out(f"     - {line}")
        else:  # pragma: no cover - the demo's refusals are fixed by the rules
            raise AssertionError(f"the demo expected a refusal: {note}")


def clock_summary(c: ClockState) -> str:
    unit = "working days" if c.spec.unit == "working_days" else "days"
    if c.status == "paused":
        return f"⏸ {c.spec.label.zh}: paused, {c.remaining} {unit} left"
    if c.status in ("met", "missed"):
        return f"⏱ {c.spec.label.zh}: {c.status} (stopped {c.stopped_on}, due {c.due_on})"
    extra = f", extended ×{c.extensions}" if c.extensions else ""
    paused = f", {c.paused_days} {unit} paused" if c.paused_days else ""
    return f"⏱ {c.spec.label.zh}: due {c.due_on} ({c.allowed} {unit}{extra}{paused})"
