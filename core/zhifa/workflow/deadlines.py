"""Statutory clocks (法定期限), derived from a matter's steps and the working-day calendar.

A clock starts on the day the matter first enters one of its ``runs_in`` states and stops on the
day it first enters a state outside ``runs_in`` and ``paused_in``. The start day is not counted.
A clock with ``starts_from`` starts instead on the date the step that entered ``runs_in`` recorded
in that field (e.g. the date of a decision registered later); only a step that did not record the
field falls back to its own date. Time in a ``paused_in`` state does not count: a pause that
begins on day P1 and ends on day P2 excludes the days after P1 up to and including P2 (the day the
pause begins is a day of work, the day it ends is the new start). Each step with one of the
clock's extension triggers adds its days: a fixed number, or the number the step recorded in the
extension's ``days_field``.

A period counted in calendar days that ends on a non-working day ends on the next working day.
A deadline that relied on a year without official calendar data is *provisional*; it is computed
again, with the data, every time the clock is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from zhifa.calendar import WorkCalendar
from zhifa.workflow.definitions import ClockSpec

NO_DATA: Mapping[str, Any] = MappingProxyType({})


def _no_data() -> Mapping[str, Any]:
    return NO_DATA


@dataclass(frozen=True, slots=True)
class Step:
    """What a clock needs of an event: its date, trigger, the state it led to and its data.

    ``data`` is the step's validated data as recorded (JSON values: a date is its ISO text), read
    only; it is left out of the hash.
    """

    on: date
    trigger: str
    to_state: str
    data: Mapping[str, Any] = field(default_factory=_no_data, hash=False)


@dataclass(frozen=True, slots=True)
class Pause:
    began: date
    ended: date | None

    def covers(self, day: date) -> bool:
        return self.began < day and (self.ended is None or day <= self.ended)


@dataclass(frozen=True, slots=True)
class ClockState:
    """A clock as of ``today``; ``status`` is running, paused, met or missed."""

    spec: ClockSpec
    status: str
    started_on: date
    due_on: date | None
    stopped_on: date | None
    provisional: bool
    extensions: int
    extended_days: int
    pauses: tuple[Pause, ...]
    paused_days: int
    remaining: int | None  # days (of the clock's unit) left on ``as_of``; negative when overdue
    as_of: date
    started_from: str | None = None  # the starting step's field ``started_on`` came from, if any

    @property
    def overdue(self) -> bool:
        """Running past its last day (also on the days off right after it)."""
        return self.status == "running" and self.due_on is not None and self.as_of > self.due_on

    @property
    def allowed(self) -> int:
        return self.spec.days + self.extended_days

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.spec.name,
            "label": {"zh": self.spec.label.zh, "en": self.spec.label.en},
            "basis": self.spec.basis,
            "unit": self.spec.unit,
            "days": self.allowed,
            "status": self.status,
            "overdue": self.overdue,
            "started_on": self.started_on.isoformat(),
            "starts_from": self.started_from,
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "stopped_on": self.stopped_on.isoformat() if self.stopped_on else None,
            "provisional": self.provisional,
            "extensions": self.extensions,
            "paused_days": self.paused_days,
            "pauses": [
                {"began": p.began.isoformat(), "ended": p.ended.isoformat() if p.ended else None}
                for p in self.pauses
            ],
            "remaining": self.remaining,
        }


def _due(
    spec: ClockSpec, start: date, total: int, pauses: Sequence[Pause], cal: WorkCalendar
) -> tuple[date | None, bool]:
    """Walk forward from ``start`` counting days outside pauses; None while a pause is open."""
    working = spec.unit == "working_days"
    day, counted, provisional = start, 0, False
    i = 0  # pauses are in order and never overlap: the first one not yet over
    while counted < total:
        day += timedelta(days=1)
        while i < len(pauses) and (ended := pauses[i].ended) is not None and ended < day:
            i += 1
        if i < len(pauses) and pauses[i].began < day:
            if pauses[i].ended is None:
                return None, provisional
            continue
        if working:
            is_work, prov = cal.day_kind(day)
            provisional |= prov
            counted += is_work
        else:
            counted += 1
    if not working:
        end = cal.next_working_day(day)
        return end.due, provisional or end.provisional
    return day, provisional


def _count(
    spec: ClockSpec, after: date, through: date, cal: WorkCalendar, pauses: Sequence[Pause]
) -> int:
    """Days of the clock's unit in (after, through], outside pauses."""
    n, day, i = 0, after, 0
    while day < through:
        day += timedelta(days=1)
        while i < len(pauses) and (ended := pauses[i].ended) is not None and ended < day:
            i += 1
        if i < len(pauses) and pauses[i].covers(day):
            continue
        n += cal.is_working_day(day) if spec.unit == "working_days" else 1
    return n


def _start(spec: ClockSpec, step: Step) -> tuple[date, str | None]:
    """The day a clock started by ``step`` counts from, and the field it was read from: the date
    the step recorded in the clock's ``starts_from`` field, else (no such field on the clock, or
    not recorded by this step) the step's own date."""
    if spec.starts_from is not None:
        value = step.data.get(spec.starts_from)
        if isinstance(value, str):
            return date.fromisoformat(value), spec.starts_from
        if isinstance(value, date):
            return value, spec.starts_from
    return step.on, None


def compute(
    spec: ClockSpec, steps: Sequence[Step], cal: WorkCalendar, today: date
) -> ClockState | None:
    """The clock after ``steps`` (oldest first), seen on ``today``; None if it never started."""
    started: date | None = None
    started_from: str | None = None
    stopped: date | None = None
    pauses: list[Pause] = []
    extensions = extended_days = 0
    extendable = bool(spec.extended_by or spec.extended_by_field)
    for step in steps:
        if stopped is not None:
            break
        if started is None:
            if step.to_state in spec.runs_in:
                started, started_from = _start(spec, step)
            continue
        if extendable and (added := spec.extension_days(step.trigger, step.data)):
            extensions += 1
            extended_days += added
        if step.to_state in spec.paused_in:
            if not pauses or pauses[-1].ended is not None:
                pauses.append(Pause(step.on, None))
        elif step.to_state in spec.runs_in:
            if pauses and pauses[-1].ended is None:
                pauses[-1] = Pause(pauses[-1].began, step.on)
        else:
            stopped = step.on
            if pauses and pauses[-1].ended is None:
                pauses[-1] = Pause(pauses[-1].began, step.on)
    if started is None:
        return None
    total = spec.days + extended_days
    due, provisional = _due(spec, started, total, pauses, cal)
    closed = [p for p in pauses if p.ended is not None]
    paused_days = sum(
        (
            cal.working_days_between(p.began, p.ended)[0]
            if spec.unit == "working_days"
            else (p.ended - p.began).days
        )
        for p in closed
        if p.ended is not None
    )
    remaining: int | None = None
    if stopped is not None:
        status = "met" if due is not None and stopped <= due else "missed"
    elif due is None:
        status = "paused"
        used = _count(spec, started, pauses[-1].began, cal, pauses)
        remaining = total - used
    else:
        status = "running"
        if today <= due:
            remaining = _count(spec, today, due, cal, pauses)
        else:
            remaining = -_count(spec, due, today, cal, pauses)
    return ClockState(
        spec=spec,
        status=status,
        started_on=started,
        due_on=due,
        stopped_on=stopped,
        provisional=provisional,
        extensions=extensions,
        extended_days=extended_days,
        pauses=tuple(pauses),
        paused_days=paused_days,
        remaining=remaining,
        as_of=today,
        started_from=started_from,
    )
