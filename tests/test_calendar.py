"""The working-day calendar: 2026 holidays and make-up days, counting rules, local additions,
years without official data (provisional, weekdays) and add_years on 29 February."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from zhifa.calendar import CalendarAddition, Deadline, WorkCalendar, add_years, has_official_data

D = date

needs_no_2027_data = pytest.mark.skipif(
    has_official_data(2027),
    reason="chinesecalendar now has 2027 data; move these provisional-year tests to a later year",
)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


# --- official 2026 data ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # New Year: Jan 1–3 off, Sunday Jan 4 worked.
        (D(2025, 12, 31), True),
        (D(2026, 1, 1), False),
        (D(2026, 1, 3), False),
        (D(2026, 1, 4), True),
        (D(2026, 1, 5), True),
        # Spring Festival: Sat Feb 14 worked, Feb 15–23 off, Sat Feb 28 worked.
        (D(2026, 2, 13), True),
        (D(2026, 2, 14), True),
        (D(2026, 2, 15), False),
        (D(2026, 2, 16), False),
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),
        (D(2026, 3, 1), False),
        # An ordinary weekend.
        (D(2026, 3, 7), False),
        (D(2026, 3, 8), False),
        # Labour Day: Sat May 9 worked.
        (D(2026, 5, 1), False),
        (D(2026, 5, 5), False),
        (D(2026, 5, 6), True),
        (D(2026, 5, 9), True),
        # National Day: Sun Sep 20 and Sat Oct 10 worked, Oct 1–7 off.
        (D(2026, 9, 19), False),
        (D(2026, 9, 20), True),
        (D(2026, 9, 30), True),
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 8), True),
        (D(2026, 10, 10), True),
        (D(2026, 10, 11), False),
    ],
)
def test_official_2026_days(cal: WorkCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working
    assert cal.day_kind(day) == (working, False)


@pytest.mark.parametrize("day", [D(2026, 2, 15) + timedelta(days=i) for i in range(9)])
def test_whole_spring_festival_2026_is_off(cal: WorkCalendar, day: date) -> None:
    assert not cal.is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)],
)
def test_2026_make_up_days_are_weekend_working_days(cal: WorkCalendar, day: date) -> None:
    assert day.weekday() >= 5
    assert cal.is_working_day(day)


def test_official_data_years() -> None:
    assert has_official_data(2025)
    assert has_official_data(2026)


# --- add_working_days -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 2, 10), 0, D(2026, 2, 10)),
        (D(2026, 2, 10), 1, D(2026, 2, 11)),
        (D(2026, 2, 10), 4, D(2026, 2, 14)),  # the make-up Saturday is the 4th
        (D(2026, 2, 10), 5, D(2026, 2, 24)),  # the 5th jumps the festival
        (D(2026, 2, 10), 6, D(2026, 2, 25)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),  # the start day is not counted
        (D(2026, 2, 16), 1, D(2026, 2, 24)),  # starting on a holiday
        (D(2026, 2, 23), 1, D(2026, 2, 24)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),
        (D(2026, 2, 27), 2, D(2026, 3, 2)),
        (D(2026, 2, 10), 15, D(2026, 3, 9)),
        (D(2025, 12, 31), 1, D(2026, 1, 4)),  # New Year, then the make-up Sunday
        (D(2026, 9, 18), 1, D(2026, 9, 20)),  # make-up Sunday before National Day
        (D(2026, 9, 30), 1, D(2026, 10, 8)),  # National Day
        (D(2026, 9, 29), 2, D(2026, 10, 8)),
        (D(2026, 10, 9), 1, D(2026, 10, 10)),  # make-up Saturday after National Day
        (D(2026, 10, 9), 2, D(2026, 10, 12)),
        (D(2026, 4, 30), 1, D(2026, 5, 6)),  # Labour Day
    ],
)
def test_add_working_days(cal: WorkCalendar, start: date, n: int, due: date) -> None:
    assert cal.add_working_days(start, n) == Deadline(due, provisional=False)


def test_add_working_days_refuses_a_negative_period(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_days(D(2026, 3, 2), -1)


@pytest.mark.parametrize("start", [D(2026, 1, 30), D(2026, 2, 13), D(2026, 9, 25), D(2025, 12, 26)])
@pytest.mark.parametrize("n", [1, 2, 5, 15, 30])
def test_working_days_between_inverts_add_working_days(
    cal: WorkCalendar, start: date, n: int
) -> None:
    due = cal.add_working_days(start, n).due
    assert cal.is_working_day(due)
    assert cal.working_days_between(start, due) == (n, False)
    assert cal.working_days_between(start, due - timedelta(days=1))[0] == n - 1


# --- working_days_between: after < d <= through ------------------------------------------------


@pytest.mark.parametrize(
    ("after", "through", "count"),
    [
        (D(2026, 2, 13), D(2026, 2, 13), 0),
        (D(2026, 2, 13), D(2026, 2, 14), 1),  # through is included
        (D(2026, 2, 14), D(2026, 2, 14), 0),  # after is excluded
        (D(2026, 2, 14), D(2026, 2, 23), 0),  # the whole festival
        (D(2026, 2, 14), D(2026, 2, 24), 1),
        (D(2026, 2, 13), D(2026, 2, 24), 2),
        (D(2026, 2, 10), D(2026, 3, 9), 15),
        (D(2026, 9, 30), D(2026, 10, 10), 3),  # Oct 8, 9, 10
        (D(2026, 3, 2), D(2026, 3, 1), 0),  # through before after
    ],
)
def test_working_days_between(cal: WorkCalendar, after: date, through: date, count: int) -> None:
    assert cal.working_days_between(after, through) == (count, False)


# --- next_working_day and add_calendar_days ---------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 2, 14), D(2026, 2, 14)),
        (D(2026, 2, 15), D(2026, 2, 24)),
        (D(2026, 2, 23), D(2026, 2, 24)),
        (D(2026, 3, 7), D(2026, 3, 9)),
        (D(2026, 10, 1), D(2026, 10, 8)),
        (D(2026, 3, 9), D(2026, 3, 9)),
    ],
)
def test_next_working_day(cal: WorkCalendar, day: date, expected: date) -> None:
    assert cal.next_working_day(day) == Deadline(expected, False)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (D(2026, 2, 10), 4, D(2026, 2, 14)),  # lands on the make-up Saturday: stays
        (D(2026, 2, 10), 5, D(2026, 2, 24)),  # lands on the first festival day
        (D(2026, 2, 10), 13, D(2026, 2, 24)),  # lands on the last festival day
        (D(2026, 2, 10), 14, D(2026, 2, 24)),  # lands on the first working day after
        (D(2026, 2, 10), 15, D(2026, 2, 25)),
        (D(2026, 3, 2), 4, D(2026, 3, 6)),  # Friday
        (D(2026, 3, 2), 5, D(2026, 3, 9)),  # Saturday → Monday
        (D(2026, 3, 2), 6, D(2026, 3, 9)),  # Sunday → Monday
        (D(2026, 9, 26), 5, D(2026, 10, 8)),  # National Day
        (D(2026, 9, 26), 4, D(2026, 9, 30)),
    ],
)
def test_add_calendar_days(cal: WorkCalendar, start: date, n: int, due: date) -> None:
    assert cal.add_calendar_days(start, n) == Deadline(due, False)


# --- years without official data --------------------------------------------------------------


@needs_no_2027_data
@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (D(2027, 1, 1), (True, True)),  # a Friday: counted as a weekday, provisionally
        (D(2027, 1, 2), (False, True)),
        (D(2027, 1, 3), (False, True)),
        (D(2027, 1, 4), (True, True)),
    ],
)
def test_year_without_data_counts_weekdays_provisionally(
    cal: WorkCalendar, day: date, kind: tuple[bool, bool]
) -> None:
    assert cal.day_kind(day) == kind
    assert cal.is_working_day(day) is kind[0]


@needs_no_2027_data
@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2026, 12, 30), 1, Deadline(D(2026, 12, 31), False)),  # last day inside 2026
        (D(2026, 12, 30), 2, Deadline(D(2027, 1, 1), True)),  # first day into 2027
        (D(2026, 12, 31), 1, Deadline(D(2027, 1, 1), True)),
        (D(2026, 12, 31), 2, Deadline(D(2027, 1, 4), True)),
        (D(2026, 12, 21), 15, Deadline(D(2027, 1, 11), True)),
        (D(2027, 3, 5), 1, Deadline(D(2027, 3, 8), True)),
    ],
)
def test_add_working_days_into_a_year_without_data(
    cal: WorkCalendar, start: date, n: int, expected: Deadline
) -> None:
    assert cal.add_working_days(start, n) == expected


@needs_no_2027_data
def test_working_days_between_into_a_year_without_data(cal: WorkCalendar) -> None:
    assert cal.working_days_between(D(2026, 12, 30), D(2026, 12, 31)) == (1, False)
    assert cal.working_days_between(D(2026, 12, 31), D(2027, 1, 4)) == (2, True)
    # Only the days after ``after`` are looked at: a 2026 'through' is not provisional.
    assert cal.working_days_between(D(2026, 12, 31), D(2026, 12, 31)) == (0, False)


@needs_no_2027_data
def test_calendar_days_into_a_year_without_data(cal: WorkCalendar) -> None:
    assert cal.add_calendar_days(D(2026, 12, 28), 5) == Deadline(D(2027, 1, 4), True)
    assert cal.next_working_day(D(2027, 1, 2)) == Deadline(D(2027, 1, 4), True)


@pytest.mark.parametrize("year", [2099])
def test_long_period_in_a_far_year_does_not_crash(cal: WorkCalendar, year: int) -> None:
    assert not has_official_data(year)
    result = cal.add_working_days(D(year, 1, 1), 260)
    assert result.provisional
    assert result.due.weekday() < 5
    assert cal.working_days_between(D(year, 1, 1), result.due) == (260, True)


# --- local additions --------------------------------------------------------------------------


def test_local_holiday_overrides_an_official_working_day() -> None:
    cal = WorkCalendar([CalendarAddition(D(2026, 3, 2), working=False, reason="local holiday")])
    assert cal.day_kind(D(2026, 3, 2)) == (False, False)
    assert cal.add_working_days(D(2026, 2, 27), 2) == Deadline(D(2026, 3, 3), False)
    assert cal.working_days_between(D(2026, 3, 1), D(2026, 3, 3)) == (1, False)
    assert cal.add_calendar_days(D(2026, 2, 27), 3) == Deadline(D(2026, 3, 3), False)


def test_local_holiday_overrides_a_make_up_working_day() -> None:
    cal = WorkCalendar([CalendarAddition(D(2026, 2, 14), working=False, reason="local")])
    assert not cal.is_working_day(D(2026, 2, 14))
    assert cal.add_working_days(D(2026, 2, 10), 4) == Deadline(D(2026, 2, 24), False)


@pytest.mark.parametrize("day", [D(2026, 3, 1), D(2026, 2, 16)])  # a Sunday, a festival day
def test_local_working_day_overrides_an_official_day_off(day: date) -> None:
    cal = WorkCalendar([CalendarAddition(day, working=True, reason="local working day")])
    assert cal.day_kind(day) == (True, False)
    assert cal.add_working_days(day - timedelta(days=1), 1) == Deadline(day, False)
    assert cal.next_working_day(day) == Deadline(day, False)


@needs_no_2027_data
def test_local_holiday_in_a_year_without_data() -> None:
    cal = WorkCalendar([CalendarAddition(D(2027, 1, 1), working=False, reason="New Year")])
    assert cal.day_kind(D(2027, 1, 1)) == (False, False)
    assert cal.add_working_days(D(2026, 12, 31), 1) == Deadline(D(2027, 1, 4), True)


def test_additions_are_listed_in_date_order() -> None:
    late = CalendarAddition(D(2026, 6, 1), working=False, reason="b")
    early = CalendarAddition(D(2026, 3, 1), working=True, reason="a")
    assert WorkCalendar([late, early]).additions == (early, late)
    assert WorkCalendar().additions == ()


# --- add_years --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (D(2024, 2, 29), 2, D(2026, 2, 28)),
        (D(2024, 2, 29), 4, D(2028, 2, 29)),
        (D(2024, 2, 29), 5, D(2029, 2, 28)),
        (D(2024, 2, 28), 2, D(2026, 2, 28)),
        (D(2024, 3, 1), 2, D(2026, 3, 1)),
        (D(2024, 3, 2), 2, D(2026, 3, 2)),
        (D(2021, 3, 2), 5, D(2026, 3, 2)),
    ],
)
def test_add_years(day: date, years: int, expected: date) -> None:
    assert add_years(day, years) == expected
