"""Statutory clocks: the clue's 15-working-day verification period and hand-built clocks, each
rule pinned on its last day inside and its first day past."""

from __future__ import annotations

from datetime import date

import pytest

from zhifa.calendar import CalendarAddition, WorkCalendar, has_official_data
from zhifa.clocks import ClockState, Pause, Step, compute
from zhifa.definitions import ClockSpec, Definition, Label, builtin_workflow_files, load_file

D = date

needs_no_2027_data = pytest.mark.skipif(
    has_official_data(2027),
    reason="chinesecalendar now has 2027 data; move these provisional-year tests to a later year",
)


@pytest.fixture(scope="module")
def clue() -> Definition:
    (path,) = [p for p in builtin_workflow_files() if p.name == "clue.yaml"]
    return load_file(path)


@pytest.fixture(scope="module")
def verification(clue: Definition) -> ClockSpec:
    return clue.clocks["verification"]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def received(on: date, assigned: date | None = None) -> list[Step]:
    """A clue received on ``on`` and assigned for verification (the next day by default)."""
    steps = [Step(on, "open", "received")]
    if assigned is not None:
        steps.append(Step(assigned, "assign", "verifying"))
    return steps


def state(
    spec: ClockSpec, steps: list[Step], today: date, cal: WorkCalendar | None = None
) -> ClockState:
    result = compute(spec, steps, cal or WorkCalendar(), today)
    assert result is not None
    return result


def calendar_clock(days: int) -> ClockSpec:
    return ClockSpec(
        name="decide",
        label=Label("决定期限", "Decision period"),
        basis="test",
        unit="calendar_days",
        days=days,
        runs_in=frozenset({"open"}),
        paused_in=frozenset({"held"}),
        extended_by=(("extend", 3),),
    )


def test_clue_verification_clock_as_declared(verification: ClockSpec) -> None:
    assert verification.unit == "working_days"
    assert verification.days == 15
    assert verification.runs_in == {"received", "verifying", "verifying_extended"}
    assert verification.paused_in == {"testing", "testing_extended"}
    assert verification.extended_by == (("extend", 15),)


def test_clock_that_never_started_is_none(verification: ClockSpec, cal: WorkCalendar) -> None:
    assert compute(verification, [], cal, D(2026, 3, 2)) is None
    assert (
        compute(verification, [Step(D(2026, 3, 2), "x", "elsewhere")], cal, D(2026, 3, 2)) is None
    )


# --- the due date: 15 working days from receipt -----------------------------------------------


@pytest.mark.parametrize(
    ("receipt", "due"),
    [
        (D(2026, 1, 30), D(2026, 2, 27)),  # Feb 14 counts, Feb 15–23 do not
        (D(2026, 2, 3), D(2026, 3, 2)),
        (D(2026, 2, 10), D(2026, 3, 9)),
        (D(2026, 2, 13), D(2026, 3, 12)),
        (D(2026, 2, 16), D(2026, 3, 13)),  # received during the festival
        (D(2026, 3, 6), D(2026, 3, 27)),
        (D(2026, 9, 25), D(2026, 10, 22)),  # National Day: Sep 28–30, Oct 8–10 count
    ],
)
def test_due_date_across_holidays(
    verification: ClockSpec, cal: WorkCalendar, receipt: date, due: date
) -> None:
    st = state(verification, received(receipt), receipt)
    assert st.started_on == receipt
    assert st.due_on == due
    assert not st.provisional
    assert st.status == "running"
    assert st.remaining == 15
    assert cal.working_days_between(receipt, due) == (15, False)


@pytest.mark.parametrize(
    ("today", "remaining", "overdue"),
    [
        (D(2026, 2, 10), 15, False),
        (D(2026, 3, 6), 1, False),
        (D(2026, 3, 7), 1, False),  # Saturday before the due Monday
        (D(2026, 3, 9), 0, False),  # the due day itself
        (D(2026, 3, 10), -1, True),  # the next day
        (D(2026, 3, 11), -2, True),
        (D(2026, 3, 16), -5, True),
    ],
)
def test_remaining_around_the_due_day(
    verification: ClockSpec, today: date, remaining: int, overdue: bool
) -> None:
    st = state(verification, received(D(2026, 2, 10), D(2026, 2, 11)), today)
    assert st.due_on == D(2026, 3, 9)
    assert st.status == "running"
    assert st.remaining == remaining
    assert st.overdue is overdue


def test_next_working_day_after_a_friday_due_date(verification: ClockSpec) -> None:
    st = state(verification, received(D(2026, 3, 6)), D(2026, 3, 30))
    assert st.due_on == D(2026, 3, 27)
    assert st.remaining == -1
    assert st.overdue


def test_weekend_after_a_friday_due_date_is_overdue(verification: ClockSpec) -> None:
    # Due Friday 27 March: on Saturday 28 the deadline has passed (clock_not_expired refuses an
    # extension that day), so the clock must report itself overdue.
    st = state(verification, received(D(2026, 3, 6)), D(2026, 3, 28))
    assert st.due_on == D(2026, 3, 27)
    assert st.status == "running"
    assert st.overdue


# --- stopping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decided", "status"),
    [
        (D(2026, 2, 11), "met"),
        (D(2026, 3, 9), "met"),  # on the due day
        (D(2026, 3, 10), "missed"),  # the day after
        (D(2026, 3, 16), "missed"),
    ],
)
def test_stopping_on_or_after_the_due_day(
    verification: ClockSpec, decided: date, status: str
) -> None:
    steps = [*received(D(2026, 2, 10), D(2026, 2, 11)), Step(decided, "open_case", "case_opened")]
    later = [*steps, Step(D(2026, 4, 1), "anything", "verifying")]  # ignored after the stop
    for history in (steps, later):
        st = state(verification, history, D(2026, 5, 1))
        assert st.status == status
        assert st.stopped_on == decided
        assert st.due_on == D(2026, 3, 9)
        assert st.remaining is None
        assert not st.overdue


# --- extension ----------------------------------------------------------------------------


def extended(on: date) -> list[Step]:
    return [*received(D(2026, 2, 10), D(2026, 2, 11)), Step(on, "extend", "verifying_extended")]


@pytest.mark.parametrize(
    ("today", "remaining"),
    [(D(2026, 3, 9), 15), (D(2026, 3, 27), 1), (D(2026, 3, 30), 0), (D(2026, 3, 31), -1)],
)
def test_one_extension_adds_15_working_days(
    verification: ClockSpec, today: date, remaining: int
) -> None:
    st = state(verification, extended(D(2026, 3, 9)), today)
    assert st.extensions == 1
    assert st.allowed == 30
    assert st.due_on == D(2026, 3, 30)
    assert st.remaining == remaining
    assert st.as_dict()["days"] == 30


@pytest.mark.parametrize(
    ("decided", "status"), [(D(2026, 3, 30), "met"), (D(2026, 3, 31), "missed")]
)
def test_extended_clock_stops_at_its_new_boundary(
    verification: ClockSpec, decided: date, status: str
) -> None:
    steps = [*extended(D(2026, 3, 5)), Step(decided, "decline", "not_opened")]
    assert state(verification, steps, D(2026, 4, 30)).status == status


# --- pauses (testing, appraisal) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("began", "ended", "due", "paused_days"),
    [
        (D(2026, 3, 2), D(2026, 3, 2), D(2026, 3, 9), 0),  # same day: nothing excluded
        (D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 10), 1),
        (D(2026, 3, 2), D(2026, 3, 4), D(2026, 3, 11), 2),
        (D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 10), 1),  # Sat, Sun, Mon excluded
        (D(2026, 3, 6), D(2026, 3, 10), D(2026, 3, 11), 2),  # began the day before the due day
        (D(2026, 3, 9), D(2026, 3, 10), D(2026, 3, 9), 1),  # began on the due day: it was used
        (D(2026, 2, 13), D(2026, 2, 24), D(2026, 3, 11), 2),  # over the festival: Feb 14 and 24
    ],
)
def test_closed_pause_excludes_days_after_its_start_through_its_end(
    verification: ClockSpec, began: date, ended: date, due: date, paused_days: int
) -> None:
    steps = [
        *received(D(2026, 2, 10), D(2026, 2, 11)),
        Step(began, "start_testing", "testing"),
        Step(ended, "finish_testing", "verifying"),
    ]
    st = state(verification, steps, ended)
    assert st.due_on == due
    assert st.paused_days == paused_days
    assert st.pauses == (Pause(began, ended),)
    assert st.status == "running"


def test_two_pauses_add_up(verification: ClockSpec) -> None:
    steps = [
        *received(D(2026, 2, 10), D(2026, 2, 11)),
        Step(D(2026, 3, 2), "start_testing", "testing"),
        Step(D(2026, 3, 4), "finish_testing", "verifying"),
        Step(D(2026, 3, 5), "start_testing", "testing"),
        Step(D(2026, 3, 6), "finish_testing", "verifying"),
    ]
    st = state(verification, steps, D(2026, 3, 12))
    assert st.due_on == D(2026, 3, 12)
    assert st.paused_days == 3
    assert st.remaining == 0


def test_pause_in_the_extended_period(verification: ClockSpec) -> None:
    steps = [
        *extended(D(2026, 3, 9)),
        Step(D(2026, 3, 20), "start_testing", "testing_extended"),
        Step(D(2026, 3, 24), "finish_testing", "verifying_extended"),
    ]
    st = state(verification, steps, D(2026, 3, 24))
    assert st.due_on == D(2026, 4, 1)  # Mar 30 + 2 working days (Mar 23, 24)
    assert st.paused_days == 2


@pytest.mark.parametrize(
    ("began", "today", "remaining"),
    [
        (D(2026, 3, 2), D(2026, 3, 2), 5),
        (D(2026, 3, 2), D(2026, 3, 5), 5),
        (D(2026, 3, 2), D(2026, 6, 1), 5),  # paused time does not count
        (D(2026, 3, 6), D(2026, 3, 10), 1),  # began the day before the due day
    ],
)
def test_open_pause(verification: ClockSpec, began: date, today: date, remaining: int) -> None:
    steps = [*received(D(2026, 2, 10), D(2026, 2, 11)), Step(began, "start_testing", "testing")]
    st = state(verification, steps, today)
    assert st.status == "paused"
    assert st.due_on is None
    assert st.remaining == remaining
    assert st.pauses == (Pause(began, None),)
    assert st.paused_days == 0
    assert not st.overdue
    assert st.as_dict()["due_on"] is None


# --- calendar days ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 3, 2), 4, D(2026, 3, 6)),  # Friday
        (D(2026, 3, 2), 5, D(2026, 3, 9)),  # Saturday → Monday
        (D(2026, 3, 2), 6, D(2026, 3, 9)),  # Sunday → Monday
        (D(2026, 2, 9), 5, D(2026, 2, 14)),  # make-up Saturday: stays
        (D(2026, 2, 10), 5, D(2026, 2, 24)),  # festival → first working day after
        (D(2026, 9, 26), 5, D(2026, 10, 8)),  # National Day
    ],
)
def test_calendar_day_clock_ending_on_a_day_off_moves_to_the_next_working_day(
    start: date, days: int, due: date
) -> None:
    st = state(calendar_clock(days), [Step(start, "open", "open")], start)
    assert st.due_on == due
    assert st.remaining == (due - start).days


@pytest.mark.parametrize(
    ("today", "remaining"),
    [(D(2026, 3, 7), 2), (D(2026, 3, 9), 0), (D(2026, 3, 10), -1), (D(2026, 3, 14), -5)],
)
def test_calendar_day_clock_remaining(today: date, remaining: int) -> None:
    st = state(calendar_clock(5), [Step(D(2026, 3, 2), "open", "open")], today)
    assert st.due_on == D(2026, 3, 9)
    assert st.remaining == remaining


@pytest.mark.parametrize(
    ("stopped", "status"), [(D(2026, 3, 9), "met"), (D(2026, 3, 10), "missed")]
)
def test_calendar_day_clock_stop(stopped: date, status: str) -> None:
    steps = [Step(D(2026, 3, 2), "open", "open"), Step(stopped, "close", "closed")]
    assert state(calendar_clock(5), steps, D(2026, 4, 1)).status == status


def test_calendar_day_clock_pause_and_extension() -> None:
    steps = [
        Step(D(2026, 3, 2), "open", "open"),
        Step(D(2026, 3, 3), "hold", "held"),
        Step(D(2026, 3, 5), "resume", "open"),
    ]
    st = state(calendar_clock(10), steps, D(2026, 3, 5))
    assert st.paused_days == 2  # Mar 4, 5
    assert st.due_on == D(2026, 3, 16)  # Mar 14 is a Saturday
    st = state(calendar_clock(10), [*steps, Step(D(2026, 3, 6), "extend", "open")], D(2026, 3, 6))
    assert st.allowed == 13
    assert st.due_on == D(2026, 3, 17)


# --- provisional (no official data) ------------------------------------------------------------


@needs_no_2027_data
@pytest.mark.parametrize(
    ("receipt", "due", "provisional"),
    [
        (D(2026, 12, 1), D(2026, 12, 22), False),
        (D(2026, 12, 10), D(2026, 12, 31), False),  # last due date inside 2026
        (D(2026, 12, 11), D(2027, 1, 1), True),  # first one in 2027: weekdays, provisional
        (D(2026, 12, 21), D(2027, 1, 11), True),
    ],
)
def test_provisional_due_dates(
    verification: ClockSpec, receipt: date, due: date, provisional: bool
) -> None:
    st = state(verification, received(receipt), D(2027, 2, 1))
    assert st.due_on == due
    assert st.provisional is provisional
    assert st.as_dict()["provisional"] is provisional
    assert st.remaining is not None and st.remaining < 0


@needs_no_2027_data
def test_local_holiday_in_a_year_without_data_still_provisional(verification: ClockSpec) -> None:
    cal = WorkCalendar([CalendarAddition(D(2027, 1, 1), working=False, reason="New Year")])
    st = state(verification, received(D(2026, 12, 11)), D(2026, 12, 11), cal)
    assert st.due_on == D(2027, 1, 4)
    assert st.provisional


@needs_no_2027_data
def test_calendar_day_clock_provisional() -> None:
    st = state(calendar_clock(5), [Step(D(2026, 12, 28), "open", "open")], D(2026, 12, 28))
    assert st.due_on == D(2027, 1, 4)  # Jan 2 is a Saturday
    assert st.provisional


def test_as_dict(verification: ClockSpec) -> None:
    steps = [
        *received(D(2026, 2, 10), D(2026, 2, 11)),
        Step(D(2026, 3, 2), "start_testing", "testing"),
        Step(D(2026, 3, 4), "finish_testing", "verifying"),
    ]
    assert state(verification, steps, D(2026, 3, 10)).as_dict() == {
        "name": "verification",
        "label": {"zh": "核查期限", "en": "Verification period"},
        "basis": verification.basis,
        "unit": "working_days",
        "days": 15,
        "status": "running",
        "overdue": False,
        "started_on": "2026-02-10",
        "due_on": "2026-03-11",
        "stopped_on": None,
        "provisional": False,
        "extensions": 0,
        "paused_days": 2,
        "pauses": [{"began": "2026-03-02", "ended": "2026-03-04"}],
        "remaining": 1,
    }


def test_a_clock_may_have_several_extension_triggers_each_adding_its_own_days(
    cal: WorkCalendar,
) -> None:
    spec = ClockSpec(
        name="decision",
        label=Label("办案期限", "Decision period"),
        basis="test",
        unit="calendar_days",
        days=90,
        runs_in=frozenset({"open"}),
        paused_in=frozenset(),
        extended_by=(("extend", 30), ("extend_further", 15)),
    )
    opened = [Step(D(2026, 3, 2), "open", "open")]
    # 90 calendar days from 2 March end on Sunday 31 May: the deadline moves to Monday 1 June.
    assert state(spec, opened, D(2026, 3, 2), cal).due_on == D(2026, 6, 1)
    once = [*opened, Step(D(2026, 5, 20), "extend", "open")]
    assert state(spec, once, D(2026, 5, 20), cal).due_on == D(2026, 6, 30)
    twice = [*once, Step(D(2026, 6, 29), "extend_further", "open")]
    last = state(spec, twice, D(2026, 7, 15), cal)
    assert (last.due_on, last.extensions, last.allowed) == (D(2026, 7, 15), 2, 135)
    assert not last.overdue
    assert state(spec, twice, D(2026, 7, 16), cal).overdue
