"""Working-day calendar (工作日): statutory holidays and make-up working days (调休).

Official data comes from the ``chinesecalendar`` package, which covers the years the State Council
has published. A year without data is counted on weekdays (Monday–Friday) and every result that
touched such a year is marked *provisional*, to be recomputed when data appears — never a crash.
Departments add local holidays or working days through the ``zhifa_calendar_additions`` hook.

Counting follows the procedural rule that the day an event happens is not counted: the first
working day of a period is the first working day *after* its start.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import chinese_calendar


@dataclass(frozen=True, slots=True)
class CalendarAddition:
    """A local change to the calendar: ``working=False`` adds a holiday, ``True`` a working day."""

    day: date
    working: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Deadline:
    """The last day of a period; ``provisional`` when it relied on a year without official data."""

    due: date
    provisional: bool


@cache
def _official(day: date) -> bool | None:
    """True/False from official data, None when the year has none."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


def has_official_data(year: int) -> bool:
    return _official(date(year, 6, 1)) is not None


class WorkCalendar:
    """Answers 'is this a working day?' and counts periods in working or calendar days."""

    def __init__(self, additions: Iterable[CalendarAddition] = ()) -> None:
        self._additions = {a.day: a for a in additions}

    @property
    def additions(self) -> tuple[CalendarAddition, ...]:
        return tuple(sorted(self._additions.values(), key=lambda a: a.day))

    def day_kind(self, day: date) -> tuple[bool, bool]:
        """(is working day, provisional) for ``day``."""
        added = self._additions.get(day)
        if added is not None:
            return added.working, False
        official = _official(day)
        if official is None:
            return day.weekday() < 5, True
        return official, False

    def is_working_day(self, day: date) -> bool:
        return self.day_kind(day)[0]

    def add_working_days(self, start: date, n: int) -> Deadline:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted)."""
        if n < 0:
            raise ValueError("a period cannot be negative")
        day, counted, provisional = start, 0, False
        while counted < n:
            day += timedelta(days=1)
            working, prov = self.day_kind(day)
            provisional |= prov
            counted += working
        return Deadline(day, provisional)

    def working_days_between(self, after: date, through: date) -> tuple[int, bool]:
        """Working days ``d`` with ``after < d <= through``, and whether any was provisional."""
        count, provisional, day = 0, False, after
        while day < through:
            day += timedelta(days=1)
            working, prov = self.day_kind(day)
            provisional |= prov
            count += working
        return count, provisional

    def next_working_day(self, day: date) -> Deadline:
        """``day`` if it is a working day, else the first working day after it."""
        provisional = False
        while True:
            working, prov = self.day_kind(day)
            provisional |= prov
            if working:
                return Deadline(day, provisional)
            day += timedelta(days=1)

    def add_calendar_days(self, start: date, n: int) -> Deadline:
        """``start + n`` days; a period ending on a holiday ends on the next working day."""
        return self.next_working_day(start + timedelta(days=n))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the month lacks falls back to its last day
    (31 August + 6 months is 28 February, or 29 in a leap year)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    """The same month and day ``years`` later; 29 February falls back to 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
