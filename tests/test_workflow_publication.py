"""The publication workflow (行政处罚信息公示) at its boundaries, on SQLite and PostgreSQL: which
decisions are published, the 20 working days across the 2026 Spring Festival and National Day,
the 3 working days to withdraw, the 3-month / 3-year period at the low-fine threshold, the early stop
and the expiry (市场监督管理行政处罚信息公示规定 第二条、第九条、第十一条、第十三条、第十四条)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import make_engine
from zhifa.calendar import WorkCalendar, add_months
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.procedure.publication import (
    GUARDS,
    LOW_FINE_THRESHOLD,
    Penalty,
    publication_due,
    publicity_end,
    short_period,
)
from zhifa.store import Store

D = date
Y = Decimal
CAL = WorkCalendar()


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0)


def decision(decided: date, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "decision_no": "杭西市监处罚〔2026〕12号",
        "decision_date": decided.isoformat(),
        "procedure": "ordinary",
        "party_name": "某食品有限公司",
        "party": ENTITY,
        "violation": "经营超过保质期的食品",
        "fine_amount": "50000",
        "confiscation": True,
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


class Walker:
    def __init__(self, store: Store, start: datetime) -> None:
        self.engine, self.clock = make_engine(store, at=start)

    def open(self, when: datetime, data: dict[str, Any]) -> MatterView:
        self.clock.set(when)
        return self.engine.open("publication", "C1", data, entity=ENTITY).matter

    def step(
        self, m: MatterView, trigger: str, actor: str, when: datetime, data: dict[str, Any]
    ) -> MatterView:
        self.clock.set(when)
        return self.engine.advance(m, trigger, actor, data).matter

    def publish(self, m: MatterView, when: datetime, **extra: Any) -> MatterView:
        penalty = Penalty.from_data(m.data["open"])
        data = {"publicity_ends_on": publicity_end(when.date(), penalty).isoformat(), **extra}
        return self.step(m, "publish", "C1", when, data)

    def clock_state(self, m: MatterView, name: str) -> Any:
        return {c.spec.name: c for c in self.engine.clocks(m)}[name]


def test_guards_cite_the_rules() -> None:
    assert all("市场监督管理行政处罚信息公示规定" in g.basis for g in GUARDS)
    assert Y(10000) == LOW_FINE_THRESHOLD


# --- what is published (第二条) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"procedure": "simple"}, "第二条第一款"),
        ({"fine_amount": None, "confiscation": None, "warning": True}, "第二条第二款"),
        ({"fine_amount": "0", "confiscation": None, "warning": True}, "第二条第二款"),
        ({"fine_amount": None, "confiscation": None}, "names no penalty"),
        ({"decision_date": "2026-03-03"}, "after its registration"),
    ],
)
def test_opening_refused(bureau: Store, extra: dict[str, Any], fragment: str) -> None:
    w = Walker(bureau, at(D(2026, 3, 2)))
    with pytest.raises(GuardRefused) as err:
        w.open(at(D(2026, 3, 2)), decision(D(2026, 3, 2), **extra))
    assert any(fragment in r for r in err.value.reasons)


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"fine_amount": "200", "confiscation": None, "warning": True},  # a warning and a fine
        {"fine_amount": None, "confiscation": None, "circulated_criticism": True},
    ],
)
def test_opening_allowed(bureau: Store, extra: dict[str, Any]) -> None:
    w = Walker(bureau, at(D(2026, 3, 2)))
    assert w.open(at(D(2026, 3, 2)), decision(D(2026, 3, 2), **extra)).state == "pending"


# --- 20 working days (第九条) ------------------------------------------------------------------------

PUBLISH_DAYS = [
    # decision, 20th working day (allowed), 21st working day (refused)
    (D(2026, 3, 2), D(2026, 3, 30), D(2026, 3, 31)),
    # Spring Festival: 15–23 Feb off; Saturdays 14 and 28 Feb are make-up working days
    (D(2026, 2, 6), D(2026, 3, 12), D(2026, 3, 13)),
    # Mid-Autumn 25 Sep and National Day 1–7 Oct off; Saturday 10 Oct is a make-up working day
    (D(2026, 9, 22), D(2026, 10, 27), D(2026, 10, 28)),
]


@pytest.mark.parametrize(("decided", "last", "first_late"), PUBLISH_DAYS)
def test_publication_due(decided: date, last: date, first_late: date) -> None:
    assert publication_due(decided, CAL) == last
    assert CAL.working_days_between(decided, last) == (20, False)
    assert CAL.working_days_between(decided, first_late) == (21, False)


@pytest.mark.parametrize(("decided", "last", "first_late"), PUBLISH_DAYS)
def test_publish_within_20_working_days(
    bureau: Store, decided: date, last: date, first_late: date
) -> None:
    w = Walker(bureau, at(decided))
    m = w.open(at(decided), decision(decided))
    assert w.clock_state(m, "publication").due_on == last  # registered on the decision day
    with pytest.raises(GuardRefused) as err:
        w.publish(m, at(first_late))
    (reason,) = err.value.reasons
    assert f"by {last}" in reason and "第九条" in reason and "delay_reason" in reason
    # with the reason the late publication is recorded and the clock is missed
    late = w.publish(m, at(first_late), delay_reason="系统故障")
    assert late.state == "published"
    assert w.clock_state(late, "publication").status == "missed"
    m2 = w.publish(w.open(at(decided), decision(decided)), at(last, 17))
    assert m2.state == "published"
    assert w.clock_state(m2, "publication").status == "met"


def test_deadline_counts_from_the_decision_not_the_registration(bureau: Store) -> None:
    w = Walker(bureau, at(D(2026, 3, 20)))
    m = w.open(at(D(2026, 3, 20)), decision(D(2026, 3, 2)))  # registered 14 working days late
    with pytest.raises(GuardRefused) as err:
        w.publish(m, at(D(2026, 3, 31)))
    assert "by 2026-03-30" in err.value.reasons[0]


# Decided Friday 18 September 2026, registered Monday 12 October: the 20 working days count from
# the decision, over Mid-Autumn (25 Sep) and National Day (1–7 Oct) and the make-up working days
# Sunday 20 September and Saturday 10 October. The 20th is Thursday 22 October.
DECIDED, REGISTERED, LAST, FIRST_LATE = (
    D(2026, 9, 18),
    D(2026, 10, 12),
    D(2026, 10, 22),
    D(2026, 10, 23),
)


def test_publication_clock_counts_from_the_decision_date(bureau: Store) -> None:
    w = Walker(bureau, at(REGISTERED))
    m = w.open(at(REGISTERED), decision(DECIDED))
    c = w.clock_state(m, "publication")
    assert (c.started_on, c.started_from, c.due_on) == (DECIDED, "decision_date", LAST)
    assert (c.status, c.remaining) == ("running", 8)
    shown = c.as_dict()
    assert (shown["started_on"], shown["starts_from"], shown["due_on"]) == (
        "2026-09-18",
        "decision_date",
        "2026-10-22",
    )
    # published on the last day: met
    done = w.publish(m, at(LAST, 17))
    assert w.clock_state(done, "publication").status == "met"


def test_publication_the_day_after_the_last_day_is_missed(bureau: Store) -> None:
    w = Walker(bureau, at(REGISTERED))
    m = w.open(at(REGISTERED), decision(DECIDED))
    # a second engine reads the steps from the database rather than from the first one's memory
    other = Walker(bureau, at(FIRST_LATE))
    for walker in (w, other):
        with pytest.raises(GuardRefused) as err:
            walker.publish(m, at(FIRST_LATE))
        (reason,) = err.value.reasons
        assert "a decision of 2026-09-18" in reason and "by 2026-10-22" in reason
        assert "2026-10-23 is late" in reason and "delay_reason" in reason
    late = other.publish(m, at(FIRST_LATE), delay_reason="公示系统维护")
    assert late.state == "published"
    c = w.clock_state(late, "publication")
    assert (c.status, c.started_on, c.due_on, c.stopped_on) == (
        "missed",
        DECIDED,
        LAST,
        FIRST_LATE,
    )


# --- the publicity period (第十三条) -----------------------------------------------------------------

PUBLISHED = D(2026, 3, 10)
THREE_MONTHS = D(2026, 6, 10)
THREE_YEARS = D(2029, 3, 10)


@pytest.mark.parametrize(
    ("kinds", "fine", "restriction", "end"),
    [
        ({"circulated_criticism"}, "0", None, THREE_MONTHS),
        (set(), "10000", None, THREE_MONTHS),  # the threshold itself is a low fine
        (set(), "10000.99", None, THREE_YEARS),  # a fen over the threshold is not
        (set(), "10001", None, THREE_YEARS),  # the next yuan
        ({"circulated_criticism"}, "10000", None, THREE_MONTHS),
        ({"warning"}, "5000", None, THREE_MONTHS),
        ({"warning", "circulated_criticism"}, "0", None, THREE_MONTHS),
        ({"confiscation"}, "100", None, THREE_YEARS),
        ({"permit_revoked"}, "0", None, THREE_YEARS),
        ({"practice_restricted"}, "0", D(2031, 3, 10), D(2031, 3, 10)),  # 5-year ban
        ({"production_restricted"}, "0", D(2028, 3, 10), THREE_YEARS),  # shorter: 3 years
        ({"business_halted"}, "0", D(2031, 3, 10), THREE_YEARS),  # not a restriction
    ],
)
def test_publicity_end(kinds: set[str], fine: str, restriction: date | None, end: date) -> None:
    data: dict[str, Any] = {k: True for k in kinds} | {"fine_amount": fine}
    if restriction:
        data["restriction_ends_on"] = restriction.isoformat()
    assert publicity_end(PUBLISHED, Penalty.from_data(data)) == end


@pytest.mark.parametrize(
    ("threshold", "fine", "short"),
    [(Y(30000), Y(30000), True), (Y(30000), Y(30001), False), (Y(5000), Y(5001), False)],
)
def test_low_fine_threshold_can_be_overridden(
    threshold: Decimal, fine: Decimal, short: bool
) -> None:
    assert short_period(Penalty(frozenset({"fine"}), fine), threshold) is short


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 11, 30), 3, D(2027, 2, 28)),
        (D(2027, 11, 30), 3, D(2028, 2, 29)),
        (D(2026, 3, 31), 6, D(2026, 9, 30)),
        (D(2026, 10, 15), 3, D(2027, 1, 15)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("fine", "end"),
    [("10000", D(2026, 6, 2)), ("10001", D(2029, 3, 2))],
)
def test_publish_records_the_end_date(bureau: Store, fine: str, end: date) -> None:
    w = Walker(bureau, at(D(2026, 3, 2)))
    data = decision(D(2026, 3, 2), fine_amount=fine, confiscation=None)
    m = w.open(at(D(2026, 3, 2)), data)
    wrong = D(2029, 3, 2) if end.year == 2026 else D(2026, 6, 2)
    with pytest.raises(GuardRefused) as err:
        w.step(m, "publish", "C1", at(D(2026, 3, 2), 11), {"publicity_ends_on": wrong.isoformat()})
    (reason,) = err.value.reasons
    assert f"until {end}" in reason and "第十三条" in reason
    m = w.step(m, "publish", "C1", at(D(2026, 3, 2), 11), {"publicity_ends_on": end.isoformat()})
    assert m.data["publish"]["publicity_ends_on"] == end.isoformat()


def test_expiry_after_the_last_day(bureau: Store) -> None:
    w = Walker(bureau, at(D(2026, 3, 2)))
    data = decision(D(2026, 3, 2), fine_amount=None, confiscation=None, circulated_criticism=True)
    m = w.publish(w.open(at(D(2026, 3, 2)), data), at(D(2026, 3, 2), 11))
    with pytest.raises(GuardRefused) as err:
        w.step(m, "expire", "C1", at(D(2026, 6, 2), 23), {})
    (reason,) = err.value.reasons
    assert "from 2026-06-03" in reason and "第十三条" in reason
    assert w.step(m, "expire", "C1", at(D(2026, 6, 3)), {}).state == "expired"


# --- withdrawal within 3 working days (第十一条) ------------------------------------------------------

WITHDRAW_DAYS = [
    # change recorded, 3rd working day (allowed), 4th working day (refused)
    (D(2026, 3, 9), D(2026, 3, 12), D(2026, 3, 13)),
    (D(2026, 9, 30), D(2026, 10, 10), D(2026, 10, 12)),  # National Day; Sat 10 Oct works
    (D(2026, 2, 12), D(2026, 2, 24), D(2026, 2, 25)),  # Sat 14 Feb works; Spring Festival off
]


@pytest.mark.parametrize(("changed", "last", "refused"), WITHDRAW_DAYS)
def test_withdraw_within_3_working_days(
    bureau: Store, changed: date, last: date, refused: date
) -> None:
    w = Walker(bureau, at(D(2026, 2, 2)))
    for when, ok in ((refused, False), (last, True)):
        m = w.publish(w.open(at(D(2026, 2, 2), 9), decision(D(2026, 2, 2))), at(D(2026, 2, 2)))
        change = {"change": "revoked", "changed_on": changed.isoformat()}
        m = w.step(m, "decision_changed", "L1", at(changed, 9), change)
        assert m.state == "withdrawing"
        assert w.clock_state(m, "withdrawal").due_on == last
        if ok:
            done = w.step(m, "withdraw", "C1", at(when, 17), {"reason": "处罚决定已被撤销"})
            assert done.state == "withdrawn"
            continue
        with pytest.raises(GuardRefused) as err:
            w.step(m, "withdraw", "C1", at(when), {"reason": "处罚决定已被撤销"})
        (reason,) = err.value.reasons
        assert f"by {last}" in reason and "第十一条" in reason
        late = {"reason": "处罚决定已被撤销", "delay_reason": "未及时收到复议决定"}
        assert w.step(m, "withdraw", "C1", at(when), late).state == "withdrawn"


def test_change_before_publication_cancels_it(bureau: Store) -> None:
    w = Walker(bureau, at(D(2026, 3, 2)))
    m = w.open(at(D(2026, 3, 2)), decision(D(2026, 3, 2)))
    with pytest.raises(GuardRefused) as err:
        w.step(
            m,
            "decision_changed",
            "C1",
            at(D(2026, 3, 5)),
            {"change": "changed", "changed_on": "2026-03-01"},
        )
    assert "before the decision of 2026-03-02" in err.value.reasons[0]
    m = w.step(
        m,
        "decision_changed",
        "C1",
        at(D(2026, 3, 5)),
        {"change": "changed", "changed_on": "2026-03-04"},
    )
    assert m.state == "cancelled"


# --- early stop after credit repair (第十四条) ----------------------------------------------------


def repaired(w: Walker, publication: MatterView, stops_on: date, *, follows: bool = True) -> None:
    """A credit repair of ``publication`` applied for on 1 Dec 2026 and approved the next day,
    the publication to stop on ``stops_on``; with ``follows`` False, opened without the link."""
    from tests.test_workflow_credit_repair import ALL_MET

    application = {
        "decision_no": "杭西市监处罚〔2026〕12号",
        "published_on": PUBLISHED.isoformat(),
        "category": "general",
        "minor_only": False,
        "summary": "已缴清罚款，申请提前停止公示",
    }
    w.clock.set(at(D(2026, 12, 1)))
    link = {"follows": publication} if follows else {"entity": ENTITY}
    repair = w.engine.open("credit_repair", "C1", application, **link).matter
    w.step(
        repair, "approve", "H1", at(D(2026, 12, 2)), {**ALL_MET, "stopped_on": stops_on.isoformat()}
    )


@pytest.mark.parametrize(
    ("day", "ok"), [(D(2026, 12, 4), False), (D(2026, 12, 5), True)], ids=["before", "on"]
)
def test_early_stop_carries_out_an_approved_credit_repair(
    bureau: Store, day: date, ok: bool
) -> None:
    w = Walker(bureau, at(PUBLISHED))
    m = w.publish(w.open(at(PUBLISHED, 9), decision(PUBLISHED)), at(PUBLISHED))
    repaired(w, m, D(2026, 12, 5))
    if ok:
        assert w.step(m, "stop_early", "H1", at(day), {}).state == "stopped_early"
        return
    with pytest.raises(GuardRefused) as err:
        w.step(m, "stop_early", "H1", at(day), {})
    (reason,) = err.value.reasons
    assert "stops the publication on 2026-12-05, not before" in reason and "第十四条" in reason


@pytest.mark.parametrize("follows", [True, False], ids=["none", "not-linked"])
def test_no_early_stop_without_an_approved_repair_of_this_publication(
    bureau: Store, follows: bool
) -> None:
    w = Walker(bureau, at(PUBLISHED))
    m = w.publish(w.open(at(PUBLISHED, 9), decision(PUBLISHED)), at(PUBLISHED))
    if not follows:  # a repair approved for the entity but not opened on this publication
        repaired(w, m, D(2026, 12, 2), follows=False)
    with pytest.raises(GuardRefused) as err:
        w.step(m, "stop_early", "H1", at(D(2026, 12, 10)), {})
    (reason,) = err.value.reasons
    assert "no approved credit repair follows this publication" in reason
