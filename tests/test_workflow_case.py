"""The case workflow (行政处罚案件) at each rule's boundary: the last allowed value and the first
refused one, on SQLite and PostgreSQL. Thresholds are the documented defaults of
core/zhifa/procedure/case/thresholds.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import CERT_FROM, CERT_TO, DEPT, ENTITY
from tests.helpers import make_engine
from zhifa.calendar import WorkCalendar
from zhifa.engine import Engine
from zhifa.errors import FieldError, GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.procedure.case import (
    GUARDS,
    days_within,
    hearing_required,
    late_surcharge,
    payment_due,
    periods_in,
)
from zhifa.store import Store
from zhifa.workflow.deadlines import ClockState, Step

D = date
NOW = datetime(2026, 12, 31, 18, 0)
YEAR_END = D(2026, 12, 31)
EXTRA = {"H2": ("林副局长", "head"), "R2": ("钱审核", "case_handler,legal_reviewer")}

CONCLUDE = {"violation": "销售超过保质期的食品", "proposed_outcome": "penalty"}
NO_PENALTY = {
    "ground": "facts_not_established",
    "harm": "none",
    "explanation": "证据不足以证明违法事实",
    "education": "告知经营者依法经营",
}


def notice(
    fine: str | None = "10000", kind: str = "fine", eligible: bool = False
) -> dict[str, Any]:
    data: dict[str, Any] = {"penalty_kind": kind, "hearing_eligible": eligible, "reasons": "事实"}
    if fine is not None:
        data["fine"] = fine
    return data


def penalty(fine: str | None = "10000", kind: str = "fine", **more: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"penalty_kind": kind, "reasons": "事实、理由、依据", **more}
    if fine is not None:
        data["fine"] = fine
    return data


@dataclass
class Walk:
    """One case, stepped through at 10:00 on given days."""

    engine: Engine
    matter: MatterView

    def do(
        self, trigger: str, actor: str, day: date, data: Mapping[str, Any] | None = None
    ) -> MatterView:
        moment = datetime(day.year, day.month, day.day, 10, 0)
        self.matter = self.engine.advance(self.matter, trigger, actor, data or {}, moment).matter
        return self.matter

    def refused(
        self, trigger: str, actor: str, day: date, data: Mapping[str, Any] | None = None
    ) -> list[str]:
        with pytest.raises(GuardRefused) as err:
            self.do(trigger, actor, day, data)
        return err.value.reasons

    def clock(self, name: str, today: date = YEAR_END) -> ClockState:
        (found,) = [c for c in self.engine.clocks(self.matter, today) if c.spec.name == name]
        return found


def seed_case_officers(store: Store) -> None:
    """Add H2 (a second head) and R2 (a case handler who is also a legal reviewer)."""
    from zhifa.store.tables import Officer

    with store.write() as session:
        for oid, (name, roles) in EXTRA.items():
            session.add(
                Officer(
                    id=oid,
                    name=name,
                    department_code=DEPT,
                    roles=roles,
                    certificate_no=f"ZF-{oid}",
                    certificate_valid_from=CERT_FROM,
                    certificate_valid_to=CERT_TO,
                )
            )


@pytest.fixture
def engine(bureau: Store) -> Engine:
    seed_case_officers(bureau)
    return make_engine(bureau, at=NOW)[0]


def open_data(**more: Any) -> dict[str, Any]:
    return {
        "procedure": "ordinary",
        "party_kind": "organisation",
        "party_name": "某食品有限公司",
        "act_date": "2026-01-10",
        "handlers": ["C1", "C2"],
        "violation": "销售超过保质期的食品",
        **more,
    }


def open_case(engine: Engine, day: date, actor: str = "H1", **more: Any) -> Walk:
    moment = datetime(day.year, day.month, day.day, 9, 0)
    opened = engine.open("case", actor, open_data(**more), moment, entity=ENTITY)
    return Walk(engine, opened.matter)


def notified(
    engine: Engine, day: date, flags: Mapping[str, bool] | None = None, **notice_args: Any
) -> Walk:
    """A case opened on ``day``, concluded the same day and notified the next working day."""
    walk = open_case(engine, day)
    walk.do("conclude_investigation", "C1", day, {**CONCLUDE, **(flags or {})})
    walk.do("notify", "C1", WorkCalendar().add_working_days(day, 1).due, notice(**notice_args))
    return walk


def test_guards_are_registered_and_cite_articles(engine: Engine) -> None:
    names = [g.name for g in GUARDS]
    assert len(set(names)) == len(names) and all(n.startswith("case_") for n in names)
    assert all("第" in g.basis for g in GUARDS)
    assert engine.definition("case").initial == "investigating"


# --- opening: certified handlers, limitation period, head's approval (Art 36, 42, 54) ------------


@pytest.mark.parametrize(
    ("actor", "more", "fragment"),
    [
        ("H1", {"act_date": "2024-03-02"}, None),  # the last day of the two years
        ("H1", {"act_date": "2024-03-01"}, "第三十六条"),  # the first day past
        ("H1", {"act_date": "2021-03-02", "serious_harm": True}, None),  # five years with harm
        ("H1", {"handlers": ["C1", "C4"]}, "第四十二条"),  # C4 holds no certificate
        ("H1", {"handlers": ["C1", "L1"]}, "does not hold the role case_handler"),
        ("C1", {}, "第五十四条"),  # ordinary procedure without the head
        ("C1", {"procedure": "simple"}, None),  # on the spot the officers open it
    ],
)
def test_opening(engine: Engine, actor: str, more: dict[str, Any], fragment: str | None) -> None:
    if fragment is None:
        assert open_case(engine, D(2026, 3, 2), actor, **more).matter.state == "investigating"
    else:
        with pytest.raises(GuardRefused) as err:
            open_case(engine, D(2026, 3, 2), actor, **more)
        assert any(fragment in r for r in err.value.reasons), err.value.reasons


def test_one_handler_is_not_enough(engine: Engine) -> None:
    with pytest.raises(FieldError) as err:
        open_case(engine, D(2026, 3, 2), handlers=["C1"])
    assert "at least 2" in err.value.problems["handlers"]


# --- simple procedure (Art 51) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "kind", "fine", "ok"),
    [
        ("person", "fine", "200", True),
        ("person", "fine", "200.01", False),
        ("person", "fine", "201", False),
        ("organisation", "fine", "3000", True),
        ("organisation", "fine", "3001", False),
        ("person", "warning", None, True),
        ("person", "warning", "50", False),  # a warning carries no fine
    ],
)
def test_simple_procedure_limits(
    engine: Engine, party: str, kind: str, fine: str | None, ok: bool
) -> None:
    walk = open_case(engine, D(2026, 3, 2), "C1", procedure="simple", party_kind=party)
    data: dict[str, Any] = {
        "facts_conclusive": True,
        "legal_basis": "食品安全法",
        "penalty_kind": kind,
    }
    if fine is not None:
        data["fine"] = fine
    if ok:
        assert walk.do("decide_on_the_spot", "C1", D(2026, 3, 2), data).state == "served"
        assert walk.clock("decision").status == "met"
    else:
        assert (
            "行政处罚法 第五十一条"
            in walk.refused("decide_on_the_spot", "C1", D(2026, 3, 2), data)[0]
        )


def test_simple_procedure_needs_a_simple_matter_and_conclusive_facts(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    data = {"facts_conclusive": False, "legal_basis": "x", "penalty_kind": "fine", "fine": "100"}
    reasons = walk.refused("decide_on_the_spot", "C1", D(2026, 3, 2), data)
    assert len(reasons) == 2 and all("第五十一条" in r for r in reasons)
    simple = open_case(engine, D(2026, 3, 2), "C1", procedure="simple")
    refused = simple.refused("conclude_investigation", "C1", D(2026, 3, 3), CONCLUDE)
    assert "第五十四条" in refused[0]


# --- legal review (Art 58) and collective discussion (Art 57) ------------------------------------


def test_reviewer_who_investigated_is_refused(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2), handlers=["C1", "R2"])
    walk.do("conclude_investigation", "C1", D(2026, 3, 3), {**CONCLUDE, "complex": True})
    reasons = walk.refused("pass_review", "R2", D(2026, 3, 4), {"opinion": "同意"})
    assert "R2" in reasons[0] and "行政处罚法 第五十八条" in reasons[0]
    assert walk.do("fail_review", "L1", D(2026, 3, 4), {"opinion": "证据不足"}).state == (
        "investigating"
    )


def test_an_officer_who_took_an_investigation_step_is_an_investigator_even_if_not_named(
    engine: Engine,
) -> None:
    walk = open_case(engine, D(2026, 3, 2), handlers=["C1", "C2"])
    walk.do("conclude_investigation", "R2", D(2026, 3, 3), {**CONCLUDE, "complex": True})
    reasons = walk.refused("pass_review", "R2", D(2026, 3, 4), {"opinion": "同意"})
    assert "钱审核 (R2) investigated this case" in reasons[0] and "第五十八条" in reasons[0]
    assert walk.do("pass_review", "L1", D(2026, 3, 4), {"opinion": "同意"}).state == "reviewed"


@pytest.mark.parametrize(
    ("flags", "needs_review", "needs_discussion"),
    [
        ({}, False, False),
        ({"major_public_interest": True}, True, False),
        ({"major_rights": True}, True, False),
        ({"complex": True}, True, True),
        ({"major_violation": True}, False, True),
    ],
)
def test_review_and_discussion_before_the_decision(
    engine: Engine, flags: dict[str, bool], needs_review: bool, needs_discussion: bool
) -> None:
    day = D(2026, 3, 2)
    walk = notified(engine, day, flags)  # notified on 3 March
    decide = D(2026, 3, 4)
    if needs_review:
        assert any(
            "第五十八条" in r for r in walk.refused("decide_penalty", "H1", decide, penalty())
        )
        walk.do("pass_review", "L1", decide, {"opinion": "同意"})
    if needs_discussion:
        reasons = walk.refused("decide_penalty", "H1", decide, penalty())
        assert any("第五十七条第二款" in r for r in reasons), reasons
        assert (
            "第五十七条"
            in walk.refused(
                "discuss", "H1", decide, {"participants": ["H1", "C1"], "conclusion": "x"}
            )[0]
        )
        walk.do("discuss", "H1", decide, {"participants": ["H1", "H2"], "conclusion": "同意处罚"})
    assert walk.do("decide_penalty", "H1", decide, penalty()).state == "decided"


# --- notice and not heavier than notified (Art 44, 45, 63) ---------------------------------------


@pytest.mark.parametrize(
    ("decided", "ok"),
    [
        (penalty("10000"), True),
        (penalty("10000.01"), False),
        (penalty(None, kind="warning"), True),  # lighter than a fine
        (penalty("10000", kind="permit_suspension"), False),  # another, heavier kind
        (penalty("10000", confiscation="1"), False),  # nothing confiscation was notified
    ],
)
def test_decision_not_heavier_than_notified(
    engine: Engine, decided: dict[str, Any], ok: bool
) -> None:
    walk = notified(engine, D(2026, 3, 2), fine="10000")
    if ok:
        assert walk.do("decide_penalty", "H1", D(2026, 3, 4), decided).state == "decided"
    else:
        reasons = walk.refused("decide_penalty", "H1", D(2026, 3, 4), decided)
        assert "行政处罚法 第四十五条" in reasons[0]


def test_penalty_without_notice_is_refused(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    walk.do("pass_review", "L1", D(2026, 3, 3), {"opinion": "同意"})
    reasons = walk.refused("decide_penalty", "H1", D(2026, 3, 4), penalty())
    assert "第四十四条" in reasons[0]


@pytest.mark.parametrize(
    ("party", "kind", "fine", "eligible", "ok"),
    [
        ("person", "fine", "4999.99", False, True),
        ("person", "fine", "5000", False, False),
        ("person", "fine", "5000", True, True),
        ("organisation", "fine", "99999.99", False, True),
        ("organisation", "fine", "100000", False, False),
        ("organisation", "permit_revocation", None, False, False),
        ("organisation", "closure", None, True, True),
        ("organisation", "fine", None, False, False),  # a fine without its amount
    ],
)
def test_notice_states_the_hearing_right(
    engine: Engine, party: str, kind: str, fine: str | None, eligible: bool, ok: bool
) -> None:
    walk = open_case(engine, D(2026, 3, 2), party_kind=party)
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    data = notice(fine, kind, eligible)
    if ok:
        assert walk.do("notify", "C1", D(2026, 3, 3), data).state == "notified"
    else:
        reasons = walk.refused("notify", "C1", D(2026, 3, 3), data)
        assert "第六十三条" in reasons[0] or "amount" in reasons[0]


def test_hearing_thresholds() -> None:
    assert hearing_required("person", "confiscation", Decimal(0), Decimal(5000))
    assert not hearing_required("organisation", "confiscation", Decimal(0), Decimal("99999.99"))


# --- hearing (Art 64): 5 working days to request, across the 2026 Spring Festival ---------------

# Notice served Thursday 12 Feb 2026; working days after it: Fri 13, Sat 14 (make-up), then
# 15–23 Feb off, Tue 24, Wed 25, Thu 26 (5th), Fri 27 (6th).


@pytest.mark.parametrize(
    ("day", "ok"), [(D(2026, 2, 26), True), (D(2026, 2, 27), False)], ids=["5th", "6th"]
)
def test_hearing_request_within_five_working_days(engine: Engine, day: date, ok: bool) -> None:
    walk = notified(engine, D(2026, 2, 11), fine="100000", eligible=True)
    assert walk.engine.history(walk.matter.id)[-1].occurred_at.date() == D(2026, 2, 12)
    if ok:
        assert walk.do("request_hearing", "C1", day).state == "hearing_requested"
    else:
        reasons = walk.refused("request_hearing", "C1", day)
        assert "ended on 2026-02-26" in reasons[0] and "第六十四条" in reasons[0]


@pytest.mark.parametrize(
    ("day", "data", "ok"),
    [
        (D(2026, 2, 26), {}, False),  # the party may still ask for a hearing
        (D(2026, 2, 26), {"rights_waived": True}, True),
        (D(2026, 2, 27), {}, True),
    ],
)
def test_no_decision_while_a_hearing_may_be_requested(
    engine: Engine, day: date, data: dict[str, Any], ok: bool
) -> None:
    walk = notified(engine, D(2026, 2, 11), fine="100000", eligible=True)
    if ok:
        assert walk.do("decide_penalty", "H1", day, penalty("100000", **data)).state == "decided"
    else:
        assert "第六十四条" in walk.refused("decide_penalty", "H1", day, penalty("100000"))[0]


def test_hearing_is_not_for_a_small_penalty(engine: Engine) -> None:
    walk = notified(engine, D(2026, 3, 2), fine="1000")
    assert "第六十三条" in walk.refused("request_hearing", "C1", D(2026, 3, 4))[0]


# Hearing notice served Monday 2 March 2026: the 7th working day after it is Wednesday 11 March.


@pytest.mark.parametrize(
    ("hearing", "chair", "fragment"),
    [
        (D(2026, 3, 11), "L1", None),
        (D(2026, 3, 10), "L1", "the earliest day is 2026-03-11"),
        (D(2026, 3, 11), "C2", "investigated this case"),
    ],
)
def test_hearing_notice_and_chair(
    engine: Engine, hearing: date, chair: str, fragment: str | None
) -> None:
    walk = notified(engine, D(2026, 2, 11), fine="100000", eligible=True)
    walk.do("request_hearing", "C1", D(2026, 2, 13))
    data = {"hearing_date": hearing.isoformat(), "chair": chair}
    if fragment is not None:
        reasons = walk.refused("schedule_hearing", "C1", D(2026, 3, 2), data)
        assert fragment in reasons[0] and "第六十四条" in reasons[0]
        return
    walk.do("schedule_hearing", "C1", D(2026, 3, 2), data)
    held = {"chair": "L1", "record": "当事人陈述申辩"}
    assert "2026-03-11" in walk.refused("hold_hearing", "L1", D(2026, 3, 10), held)[0]
    assert (
        "investigated this case"
        in walk.refused("hold_hearing", "L1", hearing, {**held, "chair": "C1"})[0]
    )
    walk.do("hold_hearing", "L1", hearing, held)
    # a hearing was held: the decision needs a legal review after it (Art 58)
    reasons = walk.refused("decide_penalty", "H1", D(2026, 3, 12), penalty("100000"))
    assert "a hearing was held" in reasons[0] and "第五十八条" in reasons[0]
    walk.do("pass_review", "L1", D(2026, 3, 12), {"opinion": "同意"})
    assert walk.do("decide_penalty", "H1", D(2026, 3, 12), penalty("90000")).state == "decided"
    clock = walk.clock("decision")
    assert clock.status == "met" and clock.pauses[0].began == D(2026, 2, 13)


# --- no penalty, soft enforcement (Art 33, 57) ---------------------------------------------------


@pytest.mark.parametrize(
    ("ground", "corrected", "first", "harm", "ok"),
    [
        ("minor_corrected_no_harm", True, False, "none", True),
        ("minor_corrected_no_harm", True, False, "slight", False),
        ("minor_corrected_no_harm", False, False, "none", False),
        ("first_violation_slight_harm", True, True, "slight", True),
        ("first_violation_slight_harm", True, False, "slight", False),
        ("first_violation_slight_harm", True, True, "more", False),
        ("no_fault", False, False, "more", True),
        ("facts_not_established", False, False, "none", True),
    ],
)
def test_no_penalty_grounds(
    engine: Engine, ground: str, corrected: bool, first: bool, harm: str, ok: bool
) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    data = {
        **NO_PENALTY,
        "ground": ground,
        "corrected": corrected,
        "first_violation": first,
        "harm": harm,
    }
    if ok:
        assert walk.do("decide_no_penalty", "H1", D(2026, 3, 3), data).state == "decided"
    else:
        assert "第三十三条" in walk.refused("decide_no_penalty", "H1", D(2026, 3, 3), data)[0]


def test_soft_enforcement_records_education(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 2), CONCLUDE)
    with pytest.raises(FieldError) as err:
        walk.do("decide_soft", "H1", D(2026, 3, 3), {"measure": "interview"})
    assert set(err.value.problems) == {"education"}
    data = {"measure": "interview", "education": "约谈并宣讲食品安全法"}
    assert walk.do("decide_soft", "H1", D(2026, 3, 3), data).state == "decided"
    walk.do("serve", "C1", D(2026, 3, 4), {"method": "in_person"})
    assert walk.do("close", "H1", D(2026, 3, 4), {"summary": "结案"}).state == "closed"


# --- the 90-day decision period (Art 60): pauses and extensions ----------------------------------

# Opened Tuesday 3 March 2026: 90 days end on Monday 1 June.


@pytest.mark.parametrize(
    ("steps", "due"),
    [
        ([], D(2026, 6, 1)),
        (  # testing 10–20 March: 10 days do not count
            [
                ("start_testing", "C1", D(2026, 3, 10), {"kind": "testing", "body": "检验院"}),
                ("finish_testing", "C1", D(2026, 3, 20), {"result": "不合格"}),
            ],
            D(2026, 6, 11),
        ),
        (  # suspension 10–30 March: 20 days; 21 June is a Sunday after the Dragon Boat Festival
            [
                ("suspend", "H1", D(2026, 3, 10), {"ground": "force_majeure", "reason": "x"}),
                ("resume", "H1", D(2026, 3, 30), {"reason": "y"}),
            ],
            D(2026, 6, 22),
        ),
        (  # public notice 1–11 April: 10 days
            [
                ("start_public_notice", "C1", D(2026, 4, 1), {"purpose": "公告送达"}),
                ("end_public_notice", "C1", D(2026, 4, 11), {"outcome": "期满"}),
            ],
            D(2026, 6, 11),
        ),
        ([("extend", "H1", D(2026, 5, 20), {"reason": "案情复杂"})], D(2026, 7, 1)),
        (
            [
                ("extend", "H1", D(2026, 5, 20), {"reason": "案情复杂"}),
                (
                    "extend_further",
                    "H1",
                    D(2026, 6, 30),
                    {"participants": ["H1", "H2"], "days": 30, "reason": "x"},
                ),
            ],
            D(2026, 7, 31),
        ),
    ],
    ids=["plain", "testing", "suspension", "public-notice", "extended", "extended-further"],
)
def test_decision_period(
    engine: Engine, steps: Sequence[tuple[str, str, date, dict[str, Any]]], due: date
) -> None:
    walk = open_case(engine, D(2026, 3, 3))
    for trigger, actor, day, data in steps:
        walk.do(trigger, actor, day, data)
    assert walk.clock("decision").due_on == due
    walk.do("conclude_investigation", "C1", due, CONCLUDE)
    walk.do("decide_no_penalty", "H1", due, NO_PENALTY)
    assert walk.clock("decision").status == "met"


@pytest.mark.parametrize(("decided", "status"), [(D(2026, 6, 1), "met"), (D(2026, 6, 2), "missed")])
def test_decision_period_boundary(engine: Engine, decided: date, status: str) -> None:
    walk = open_case(engine, D(2026, 3, 3))
    walk.do("conclude_investigation", "C1", D(2026, 5, 1), CONCLUDE)
    walk.do("decide_no_penalty", "H1", decided, NO_PENALTY)
    assert walk.clock("decision").status == status


def test_extension_rules(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 3))
    further = {"participants": ["H1", "H2"], "days": 30, "reason": "x"}
    assert "extend" in walk.refused("extend_further", "H1", D(2026, 5, 1), further)[0]
    assert "ended on 2026-06-01" in walk.refused("extend", "H1", D(2026, 6, 2), {"reason": "x"})[0]
    walk.do("extend", "H1", D(2026, 6, 1), {"reason": "x"})
    walk.do("extend_further", "H1", D(2026, 6, 30), further)
    assert walk.matter.state == "investigating"
    assert "extend_further" in walk.refused("extend", "H1", D(2026, 7, 1), {"reason": "x"})[0]
    walk.do("extend_further", "H1", D(2026, 7, 1), {**further, "days": 45})
    # 90 + 30 (head) + 30 + 45 (collective discussion, the days it decided) = 195 days
    assert walk.clock("decision").due_on == D(2026, 9, 14)


# --- service (Art 61), payment and the late surcharge (Art 67, 72, 73) ---------------------------

# Decided Wednesday 4 March 2026: the 7th working day after it is Friday 13 March.


@pytest.mark.parametrize(
    ("served", "status"), [(D(2026, 3, 13), "met"), (D(2026, 3, 16), "missed")]
)
def test_service_within_seven_working_days(engine: Engine, served: date, status: str) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 3), CONCLUDE)
    walk.do("decide_no_penalty", "H1", D(2026, 3, 4), NO_PENALTY)
    walk.do("serve", "C1", served, {"method": "mail"})
    clock = walk.clock("service")
    assert (clock.due_on, clock.status) == (D(2026, 3, 13), status)


FINE = Decimal(10000)
DUE = D(2026, 3, 17)


@pytest.mark.parametrize(
    ("paid_on", "paused", "surcharge"),
    [
        (D(2026, 3, 17), 0, "0.00"),  # on the due day
        (D(2026, 3, 18), 0, "300.00"),  # one day late: 3%
        (D(2026, 4, 19), 0, "9900.00"),  # 33 days: 99%
        (D(2026, 4, 20), 0, "10000.00"),  # 34 days: reaches the fine
        (D(2026, 5, 30), 0, "10000.00"),  # never above it
        (D(2026, 4, 24), 5, "9900.00"),  # 38 days, 5 of them under review
        (D(2026, 3, 20), 10, "0.00"),  # paused longer than late
    ],
)
def test_late_surcharge(paid_on: date, paused: int, surcharge: str) -> None:
    assert late_surcharge(FINE, DUE, paid_on, paused) == Decimal(surcharge)


def test_payment_due_moves_off_holidays() -> None:
    cal = WorkCalendar()
    assert payment_due(D(2026, 3, 2), cal) == D(2026, 3, 17)
    assert payment_due(D(2026, 2, 6), cal) == D(2026, 2, 24)  # 21 Feb: Spring Festival


def test_review_periods_are_counted_inside_the_late_window() -> None:
    history = [
        Step(D(2026, 3, 2), "decide_on_the_spot", "served"),
        Step(D(2026, 3, 10), "apply_for_review", "contested"),
        Step(D(2026, 3, 20), "conclude_review", "served"),
    ]
    periods = periods_in(history, "contested")
    assert periods == [(D(2026, 3, 10), D(2026, 3, 20))]
    assert days_within(periods, D(2026, 3, 17), D(2026, 3, 25)) == 3  # 18, 19, 20 March


def spot_fine(engine: Engine, fine: str = "200") -> Walk:
    walk = open_case(engine, D(2026, 3, 2), "C1", procedure="simple", party_kind="person")
    data = {"facts_conclusive": True, "legal_basis": "x", "penalty_kind": "fine", "fine": fine}
    walk.do("decide_on_the_spot", "C1", D(2026, 3, 2), data)
    return walk


@pytest.mark.parametrize(
    ("review", "paid_on", "owed"),
    [
        (False, D(2026, 3, 17), "0.00"),
        (False, D(2026, 3, 18), "6.00"),
        (True, D(2026, 3, 25), "30.00"),  # 8 days late, 3 of them under review
    ],
)
def test_payment_with_surcharge(engine: Engine, review: bool, paid_on: date, owed: str) -> None:
    walk = spot_fine(engine)
    assert "not paid" in walk.refused("close", "H1", D(2026, 3, 3), {"summary": "x"})[0]
    if review:
        review_data = {"kind": "administrative_review", "body": "区政府"}
        walk.do("apply_for_review", "C1", D(2026, 3, 10), review_data)
        walk.do("conclude_review", "C1", D(2026, 3, 20), {"outcome": "upheld"})
    pay = {"paid_on": paid_on.isoformat(), "amount_paid": "200"}
    if owed != "0.00":
        short = str(Decimal(owed) - Decimal("0.01"))
        reasons = walk.refused("record_payment", "C1", paid_on, {**pay, "surcharge_paid": short})
        assert f"the surcharge is {owed} yuan" in reasons[0] and "第七十二条" in reasons[0]
    walk.do("record_payment", "C1", paid_on, {**pay, "surcharge_paid": owed})
    assert walk.do("close", "H1", paid_on, {"summary": "执行完毕"}).state == "closed"


# --- suspected crime (Art 27), suspension and termination ----------------------------------------


def test_suspected_crime_is_transferred_before_closing(engine: Engine) -> None:
    walk = notified(engine, D(2026, 3, 2), {"suspected_crime": True}, fine="10000")
    walk.do("decide_penalty", "H1", D(2026, 3, 4), penalty("10000"))
    walk.do("serve", "C1", D(2026, 3, 5), {"method": "in_person"})
    walk.do(
        "record_payment", "C1", D(2026, 3, 6), {"paid_on": "2026-03-06", "amount_paid": "10000"}
    )
    reasons = walk.refused("close", "H1", D(2026, 3, 9), {"summary": "x"})
    assert "行政处罚法 第二十七条" in reasons[0]
    walk.do("transfer", "H1", D(2026, 3, 9), {"organ": "西湖区公安分局", "reason": "涉嫌犯罪"})
    assert walk.do("close", "H1", D(2026, 3, 10), {"summary": "已移送"}).state == "closed"


def test_suspension_and_termination(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("suspend", "H1", D(2026, 3, 3), {"ground": "party_unavailable", "reason": "失联"})
    assert walk.clock("decision", D(2026, 4, 1)).status == "paused"
    data = {"ground": "organisation_dissolved", "explanation": "已注销且无承受人"}
    assert walk.do("terminate", "H1", D(2026, 4, 1), data).state == "terminated"
    assert walk.clock("decision").status == "met"


def test_case_taken_back_after_the_judicial_organs_decline(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2))
    walk.do("conclude_investigation", "C1", D(2026, 3, 3), {**CONCLUDE, "suspected_crime": True})
    walk.do("transfer", "H1", D(2026, 3, 4), {"organ": "公安分局", "reason": "涉嫌犯罪"})
    assert walk.do("take_back", "H1", D(2026, 3, 20), {"reason": "不予立案"}).state == (
        "investigating"
    )
    walk.do("conclude_investigation", "C1", D(2026, 3, 23), {**CONCLUDE, "suspected_crime": True})
    walk.do("decide_no_penalty", "H1", D(2026, 3, 24), NO_PENALTY)
    walk.do("serve", "C1", D(2026, 3, 25), {"method": "in_person"})
    assert walk.do("close", "H1", D(2026, 3, 25), {"summary": "x"}).state == "closed"
