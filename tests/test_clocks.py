"""Statutory clocks: the clue's 15-working-day verification period and hand-built clocks, each
rule pinned on its last day inside and its first day past."""

from __future__ import annotations

import dataclasses
from datetime import date
from types import MappingProxyType

import pytest

from zhifa.calendar import CalendarAddition, WorkCalendar, has_official_data
from zhifa.workflow.deadlines import ClockState, Pause, Step, compute
from zhifa.workflow.definitions import (
    ClockSpec,
    Definition,
    Label,
    builtin_workflow_files,
    load_file,
)

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
        "starts_from": None,
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


# --- a start recorded by the step (starts_from) -------------------------------------------------


@pytest.fixture(scope="module")
def publication() -> ClockSpec:
    (path,) = [p for p in builtin_workflow_files() if p.name == "publication.yaml"]
    return load_file(path).clocks["publication"]


def registered(on: date, decided: date | None) -> list[Step]:
    """A penalty decision of ``decided`` registered for publication on ``on``."""
    data = {"decision_no": "杭西市监处罚〔2026〕12号"}
    if decided is not None:
        data["decision_date"] = decided.isoformat()
    return [Step(on, "open", "pending", MappingProxyType(data))]


def test_publication_clock_counts_from_the_decision_date(publication: ClockSpec) -> None:
    assert publication.starts_from == "decision_date"
    # Decided Friday 18 September 2026, registered 12 October. Working days after the decision:
    # Sun 20 Sep (make-up), 21–24 Sep, not Fri 25 (Mid-Autumn), 28–30 Sep, not 1–7 Oct (National
    # Day), 8–9 Oct, Sat 10 Oct (make-up), 12–16 Oct, 19–22 Oct: the 20th is Thursday 22 October.
    st = state(publication, registered(D(2026, 10, 12), D(2026, 9, 18)), D(2026, 10, 12))
    assert (st.started_on, st.started_from, st.due_on) == (
        D(2026, 9, 18),
        "decision_date",
        D(2026, 10, 22),
    )
    assert st.status == "running"
    assert st.remaining == 8  # 13–16 and 19–22 October
    assert st.as_dict()["started_on"] == "2026-09-18"
    assert st.as_dict()["starts_from"] == "decision_date"


@pytest.mark.parametrize(
    ("published", "status"),
    [(D(2026, 10, 22), "met"), (D(2026, 10, 23), "missed")],  # the 20th and 21st working days
)
def test_starts_from_boundary_across_national_day(
    publication: ClockSpec, published: date, status: str
) -> None:
    steps = [*registered(D(2026, 10, 12), D(2026, 9, 18)), Step(published, "publish", "published")]
    st = state(publication, steps, D(2026, 11, 2))
    assert (st.status, st.stopped_on, st.due_on) == (status, published, D(2026, 10, 22))


@pytest.mark.parametrize(
    ("decided", "met", "missed"),
    [
        # Spring Festival: 15–23 Feb off, Saturdays 14 and 28 Feb make-up working days
        (D(2026, 2, 6), D(2026, 3, 12), D(2026, 3, 13)),
        (D(2026, 1, 30), D(2026, 3, 5), D(2026, 3, 6)),
    ],
)
def test_starts_from_boundary_across_spring_festival(
    publication: ClockSpec, decided: date, met: date, missed: date
) -> None:
    opened = registered(D(2026, 2, 27), decided)
    assert state(publication, opened, D(2026, 2, 27)).due_on == met
    for day, status in ((met, "met"), (missed, "missed")):
        st = state(publication, [*opened, Step(day, "publish", "published")], D(2026, 4, 1))
        assert st.status == status


def test_starts_from_falls_back_to_the_step_date(publication: ClockSpec) -> None:
    st = state(publication, registered(D(2026, 9, 18), None), D(2026, 9, 18))
    assert (st.started_on, st.started_from, st.due_on) == (D(2026, 9, 18), None, D(2026, 10, 22))
    assert st.as_dict()["starts_from"] is None


def test_starts_from_reads_only_the_step_that_starts_the_clock() -> None:
    spec = dataclasses.replace(calendar_clock(10), starts_from="decided_on")
    steps = [
        Step(D(2026, 3, 2), "draft", "draft", MappingProxyType({"decided_on": "2026-01-05"})),
        Step(D(2026, 3, 4), "open", "open", MappingProxyType({"decided_on": date(2026, 3, 3)})),
        Step(D(2026, 3, 5), "hold", "held", MappingProxyType({"decided_on": "2026-03-05"})),
    ]
    st = state(spec, steps, D(2026, 3, 5))
    assert (st.started_on, st.started_from) == (D(2026, 3, 3), "decided_on")
    assert st.pauses == (Pause(D(2026, 3, 5), None),)


# --- extensions whose days the step records (days_field) ---------------------------------------


def decision_clock() -> ClockSpec:
    """The case's 90-day clock: +30 by the head, then as many days as collective discussion sets."""
    return ClockSpec(
        name="decision",
        label=Label("办案期限", "Decision period"),
        basis="test",
        unit="calendar_days",
        days=90,
        runs_in=frozenset({"investigating", "investigating_extended"}),
        paused_in=frozenset(),
        extended_by=(("extend", 30),),
        extended_by_field=(("extend_further", "extension_days"),),
    )


def further(on: date, data: dict[str, object], to: str = "investigating") -> Step:
    return Step(on, "extend_further", to, MappingProxyType(data))


def test_days_field_adds_the_recorded_days(cal: WorkCalendar) -> None:
    spec = decision_clock()
    steps = [
        Step(D(2026, 3, 2), "open", "investigating"),
        Step(D(2026, 5, 20), "extend", "investigating_extended"),
    ]
    st = state(spec, steps, D(2026, 5, 20), cal)
    assert (st.allowed, st.due_on) == (120, D(2026, 6, 30))
    steps.append(further(D(2026, 6, 25), {"extension_days": 20}))
    st = state(spec, steps, D(2026, 6, 25), cal)
    assert (st.extensions, st.allowed, st.due_on) == (2, 140, D(2026, 7, 20))
    steps.append(further(D(2026, 7, 10), {"extension_days": 45}, "investigating_extended"))
    st = state(spec, steps, D(2026, 7, 10), cal)
    # 90 + 30 + 20 + 45 = 185 calendar days from 2 March: Thursday 3 September
    assert (st.extensions, st.extended_days, st.allowed) == (3, 95, 185)
    assert st.due_on == D(2026, 9, 3)
    assert st.as_dict()["days"] == 185
    assert (
        state(spec, [*steps, Step(D(2026, 9, 3), "decide", "decided")], D(2026, 9, 3), cal).status
        == "met"
    )
    assert (
        state(spec, [*steps, Step(D(2026, 9, 4), "decide", "decided")], D(2026, 9, 4), cal).status
        == "missed"
    )


@pytest.mark.parametrize(
    ("data", "days"),
    [
        ({"extension_days": 20}, 20),
        ({"extension_days": 0}, 0),
        ({"extension_days": -5}, 0),
        ({"extension_days": True}, 0),
        ({"extension_days": "20"}, 0),
        ({}, 0),
        (None, 0),
    ],
)
def test_extension_days_of_a_recorded_field(data: dict[str, object] | None, days: int) -> None:
    spec = decision_clock()
    assert spec.extension_days("extend_further", data) == days
    assert spec.extension_days("extend", data) == 30
    assert spec.extension_days("decide", data) == 0


def test_a_step_that_records_no_days_does_not_extend() -> None:
    steps = [Step(D(2026, 3, 2), "open", "investigating"), further(D(2026, 3, 3), {})]
    st = state(decision_clock(), steps, D(2026, 3, 3))
    assert (st.extensions, st.allowed) == (0, 90)


def test_step_data_is_read_only_and_left_out_of_the_hash() -> None:
    step = further(D(2026, 3, 3), {"extension_days": 20})
    with pytest.raises(TypeError):
        step.data["extension_days"] = 30  # type: ignore[index]
    assert hash(step) == hash(Step(D(2026, 3, 3), "extend_further", "investigating"))
    assert step != Step(D(2026, 3, 3), "extend_further", "investigating")
    assert Step(D(2026, 3, 3), "x", "y").data == {}
