"""A department's local calendar: holidays and working days beside the official ones."""

from __future__ import annotations

from datetime import date

from zhifa import hookimpl
from zhifa.calendar import CalendarAddition

LOCAL_HOLIDAY = CalendarAddition(date(2026, 3, 9), working=False, reason="地方节日")


class LocalHoliday:
    """Adds the days it is given to the calendar; by default one local holiday, Monday 9 March
    2026."""

    __name__ = "local-holiday"

    def __init__(self, *additions: CalendarAddition) -> None:
        self.additions = additions or (LOCAL_HOLIDAY,)

    @hookimpl
    def zhifa_calendar_additions(self) -> list[CalendarAddition]:
        return list(self.additions)
