"""Time. zhifa keeps every time as Beijing time (UTC+8, no daylight saving), stored naive.

The clock is injectable so tests, the demo and the sandbox run on simulated time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Protocol

from zhifa.errors import InputError

BEIJING = timezone(timedelta(hours=8), "CST")


def to_beijing(moment: datetime) -> datetime:
    """A naive Beijing time for ``moment`` (aware times are converted, naive ones kept)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(BEIJING).replace(tzinfo=None)
    return moment


def parse_moment(text: str) -> datetime:
    """Parse ``2026-03-02``, ``2026-03-02T09:30`` or an ISO time with offset into Beijing time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{text!r} is not a date or time; write it as 2026-03-02 or 2026-03-02T09:30"
        ) from None
    return to_beijing(value)


class Clock(Protocol):
    """Where the engine reads the time: the system's in service, a fixed one in tests and the
    sandbox."""

    def now(self) -> datetime:
        """The current Beijing time, naive."""
        ...


class SystemClock:
    """The machine's clock, read as Beijing time."""

    def now(self) -> datetime:
        return datetime.now(BEIJING).replace(tzinfo=None)


class FixedClock:
    """A clock that stays where it is put; ``advance`` moves it forward."""

    def __init__(self, start: datetime | date) -> None:
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day, 9, 0)
        self._now = to_beijing(start)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = to_beijing(moment)

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now
