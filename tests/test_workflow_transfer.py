"""The transfer workflow (移送) at its boundaries, on SQLite and PostgreSQL: the team of two, the
principal head's 3 days, the five materials, the 24 hours, the 3 days to ask reconsideration, the
end in administrative handling, and the hand-over to a competent department
(行政执法机关移送涉嫌犯罪案件的规定 第五条至第十一条)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import CERT_FROM, CERT_TO, DEPT, ENTITY
from tests.helpers import make_engine
from zhifa.errors import GuardRefused, PermissionRefused
from zhifa.hooks.types import MatterView
from zhifa.procedure.transfer import (
    GUARDS,
    MATERIALS,
    handover_deadline,
    missing_materials,
)
from zhifa.store import Store

D = date
ALL_MATERIALS = {name: True for name, _, _ in MATERIALS}


def seed_principal(store: Store) -> None:
    from zhifa.store.tables import Officer

    with store.write() as session:
        session.add(
            Officer(
                id="P1",
                name="钱主要",
                department_code=DEPT,
                roles="principal_head,head",
                certificate_no="ZF-P1",
                certificate_valid_from=CERT_FROM,
                certificate_valid_to=CERT_TO,
            )
        )


@pytest.fixture
def office(bureau: Store) -> Store:
    """The bureau with a principal head (P1)."""
    seed_principal(bureau)
    return bureau


class Walker:
    """Takes the workflow's steps at given Beijing times on an engine with a fixed clock."""

    def __init__(self, store: Store, start: datetime) -> None:
        self.engine, self.clock = make_engine(store, at=start)

    def report(
        self, at: datetime, route: str = "crime", team: tuple[str, ...] = ("C1", "C2")
    ) -> MatterView:
        self.clock.set(at)
        data = {"route": route, "team": list(team), "summary": "销售假冒注册商标的商品，数额较大"}
        return self.engine.open("transfer", "C1", data, entity=ENTITY).matter

    def step(
        self, m: MatterView, trigger: str, actor: str, at: datetime, data: dict[str, Any]
    ) -> MatterView:
        self.clock.set(at)
        return self.engine.advance(m, trigger, actor, data).matter

    def clock_state(self, m: MatterView, name: str) -> Any:
        return {c.spec.name: c for c in self.engine.clocks(m)}[name]


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def test_guards_are_named_and_cite_the_regulation() -> None:
    assert [g.name for g in GUARDS] == [
        "transfer_team",
        "transfer_route",
        "transfer_in_time",
        "transfer_materials_complete",
        "transfer_within_24_hours",
        "transfer_receipt_date",
        "transfer_matches_followed",
        "transfer_once_per_decision",
        "transfer_receiver_as_decided",
    ]
    assert all("行政执法机关移送涉嫌犯罪案件的规定" in g.basis for g in GUARDS if g.basis)
    assert [g.name for g in GUARDS if not g.basis] == ["transfer_receipt_date"]


# --- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "missing"),
    [
        (ALL_MATERIALS, []),
        ({}, [name for name, _, _ in MATERIALS]),
        ({**ALL_MATERIALS, "test_reports": False}, ["test_reports"]),
        ({**ALL_MATERIALS, "transfer_letter": "true"}, ["transfer_letter"]),  # only True counts
    ],
)
def test_missing_materials(data: dict[str, Any], missing: list[str]) -> None:
    assert missing_materials(data) == missing


@pytest.mark.parametrize(
    ("approved", "deadline"),
    [
        (datetime(2026, 3, 2, 10, 0), datetime(2026, 3, 3, 10, 0)),
        (datetime(2026, 9, 30, 17, 30), datetime(2026, 10, 1, 17, 30)),  # hours, holiday or not
        (datetime(2026, 12, 31, 23, 59), datetime(2027, 1, 1, 23, 59)),
    ],
)
def test_handover_deadline(approved: datetime, deadline: datetime) -> None:
    assert handover_deadline(approved) == deadline


# --- the report ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "team", "ok"),
    [
        ("crime", ("C1",), False),  # one officer: no team
        ("crime", ("C1", "C2"), True),  # the smallest team
        ("department", ("C1",), True),  # a hand-over needs no team of two
    ],
)
def test_report_needs_a_team_of_two_for_the_police(
    office: Store, route: str, team: tuple[str, ...], ok: bool
) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    if ok:
        assert w.report(at(D(2026, 3, 2)), route, team).state == "reported"
        return
    with pytest.raises(GuardRefused) as err:
        w.report(at(D(2026, 3, 2)), route, team)
    (reason,) = err.value.reasons
    assert "at least 2 officers" in reason and "第五条第一款" in reason


def test_report_team_must_be_certified_case_handlers(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    with pytest.raises(GuardRefused) as err:
        w.report(at(D(2026, 3, 2)), team=("C1", "C4"))
    assert any("C4" in r and "no enforcement certificate" in r for r in err.value.reasons)


# --- the principal head's decision: 3 calendar days ----------------------------------------------

DECISION_DAYS = [
    # report received, last day allowed, first day late
    (D(2026, 3, 2), D(2026, 3, 5), D(2026, 3, 6)),  # Mon → Thu
    (D(2026, 3, 5), D(2026, 3, 9), D(2026, 3, 10)),  # 3rd day a Sunday → Monday
    (D(2026, 9, 29), D(2026, 10, 8), D(2026, 10, 9)),  # ends in National Day → 8 Oct
    (D(2026, 2, 11), D(2026, 2, 14), D(2026, 2, 15)),  # 14 Feb is a make-up working Saturday
]


@pytest.mark.parametrize(("reported", "last", "late"), DECISION_DAYS)
@pytest.mark.parametrize("trigger", ["approve", "refuse"])
def test_decision_within_three_days(
    office: Store, trigger: str, reported: date, last: date, late: date
) -> None:
    data = {"opinion": "同意移送"} if trigger == "approve" else {"reason": "未达追诉标准"}
    w = Walker(office, at(reported))
    m = w.report(at(reported, 9))
    assert w.clock_state(m, "decision").due_on == last
    # the first late day is refused without a reason for the delay
    w.clock.set(at(late))
    with pytest.raises(GuardRefused) as err:
        w.engine.advance(m, trigger, "P1", data)
    (reason,) = err.value.reasons
    assert f"ended on {last}" in reason and "第五条第二款" in reason and "delay_reason" in reason
    # the last day is allowed
    m2 = w.report(at(reported, 9))
    done = w.step(m2, trigger, "P1", at(last, 17), data)
    assert done.state == ("approved" if trigger == "approve" else "not_approved")
    assert w.clock_state(done, "decision").status == "met"


def test_late_decision_is_recorded_with_its_reason_and_the_clock_missed(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = w.report(at(D(2026, 3, 2), 9))
    data = {"opinion": "同意移送", "delay_reason": "负责人出差"}
    m = w.step(m, "approve", "P1", at(D(2026, 3, 6)), data)
    assert m.state == "approved"
    assert w.clock_state(m, "decision").status == "missed"


def test_only_the_principal_head_decides(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = w.report(at(D(2026, 3, 2), 9))
    with pytest.raises(PermissionRefused) as err:
        w.step(m, "approve", "H1", at(D(2026, 3, 2), 11), {"opinion": "同意"})
    assert "principal_head" in err.value.reasons[0]


def test_routes_do_not_mix(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    crime = w.report(at(D(2026, 3, 2), 9))
    with pytest.raises(GuardRefused) as err:
        w.step(
            crime,
            "decide_hand_over",
            "H1",
            at(D(2026, 3, 2), 10),
            {"to_department": "x", "reason": "y"},
        )
    assert "第十一条第一款" in err.value.reasons[0]
    dept = w.report(at(D(2026, 3, 2), 11), route="department")
    with pytest.raises(GuardRefused) as err:
        w.step(dept, "approve", "P1", at(D(2026, 3, 2), 12), {"opinion": "同意"})
    assert "第五条第二款" in err.value.reasons[0]


# --- the hand-over to the police: five materials, 24 hours ---------------------------------------


MARCH_2 = D(2026, 3, 2)


def approved(w: Walker, day: date = MARCH_2) -> MatterView:
    m = w.report(at(day, 9))
    return w.step(m, "approve", "P1", at(day, 10), {"opinion": "同意移送"})


@pytest.mark.parametrize(("field", "item"), [(n, i) for n, _, i in MATERIALS])
def test_each_missing_material_refuses_the_transfer(office: Store, field: str, item: str) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = approved(w)
    data = {"police_unit": "西湖区公安分局", **ALL_MATERIALS, field: False}
    with pytest.raises(GuardRefused) as err:
        w.step(m, "hand_to_police", "C1", at(D(2026, 3, 2), 15), data)
    (reason,) = err.value.reasons
    assert reason.startswith(f"{field}:") and f"第六条{item[3:]}" in reason


def test_all_missing_materials_are_reported_together(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = approved(w)
    data = {"police_unit": "西湖区公安分局", **{n: False for n in ALL_MATERIALS}}
    with pytest.raises(GuardRefused) as err:
        w.step(m, "hand_to_police", "C1", at(D(2026, 3, 2), 15), data)
    assert len(err.value.reasons) == 5


@pytest.mark.parametrize(
    ("handed", "delay", "ok"),
    [
        (datetime(2026, 3, 3, 10, 0), None, True),  # exactly 24 hours
        (datetime(2026, 3, 3, 10, 1), None, False),  # one minute more
        (datetime(2026, 3, 3, 10, 1), "公安机关次日受理", True),  # late, with the reason
    ],
)
def test_police_receive_the_case_within_24_hours(
    office: Store, handed: datetime, delay: str | None, ok: bool
) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = approved(w)  # approved at 2026-03-02 10:00
    data: dict[str, Any] = {"police_unit": "西湖区公安分局", **ALL_MATERIALS}
    if delay:
        data["delay_reason"] = delay
    if ok:
        assert w.step(m, "hand_to_police", "C1", handed, data).state == "transferred"
        return
    with pytest.raises(GuardRefused) as err:
        w.step(m, "hand_to_police", "C1", handed, data)
    (reason,) = err.value.reasons
    assert "2026-03-03 10:00" in reason and "24 hours" in reason and "第五条第二款" in reason


# --- the police decision and reconsideration -----------------------------------------------------


def transferred(w: Walker, day: date) -> MatterView:
    m = approved(w, day)
    data = {"police_unit": "西湖区公安分局", **ALL_MATERIALS, "receipt_signed": True}
    return w.step(m, "hand_to_police", "C1", at(day, 15), data)


def test_police_decision_clock(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = transferred(w, D(2026, 3, 2))
    assert w.clock_state(m, "police_review").due_on == D(2026, 3, 5)
    m = w.step(m, "police_accept", "C1", at(D(2026, 3, 6)), {"notice_no": "杭公立字〔2026〕1号"})
    assert m.state == "criminal_case_opened"
    assert w.clock_state(m, "police_review").status == "missed"  # the police were late


RECONSIDERATION_DAYS = [
    # notice of non-filing received, last day to ask, first day refused (the 4th day)
    (D(2026, 3, 9), D(2026, 3, 12), D(2026, 3, 13)),
    (D(2026, 3, 6), D(2026, 3, 9), D(2026, 3, 10)),  # 3rd day a Monday
    (D(2026, 9, 29), D(2026, 10, 8), D(2026, 10, 9)),  # ends in National Day → 8 Oct
    (D(2026, 2, 13), D(2026, 2, 24), D(2026, 2, 25)),  # ends in the Spring Festival
]


@pytest.mark.parametrize(("received", "last", "refused"), RECONSIDERATION_DAYS)
def test_reconsideration_within_three_days_of_the_notice(
    office: Store, received: date, last: date, refused: date
) -> None:
    w = Walker(office, at(received - timedelta(days=1)))
    declined = {"notice_no": "杭公不立字〔2026〕2号", "reason": "犯罪事实显著轻微"}
    m = transferred(w, received - timedelta(days=1))
    m = w.step(m, "police_decline", "C1", at(received), declined)
    with pytest.raises(GuardRefused) as err:
        w.step(m, "request_reconsideration", "P1", at(refused), {"grounds": "数额已达标准"})
    (reason,) = err.value.reasons
    assert f"ended on {last}" in reason and "第九条第一款" in reason
    assert "suggest_supervision" in reason
    m2 = transferred(w, received - timedelta(days=1))
    m2 = w.step(m2, "police_decline", "C1", at(received), declined)
    m2 = w.step(m2, "request_reconsideration", "P1", at(last, 16), {"grounds": "数额已达标准"})
    assert m2.state == "reconsideration_requested"


def test_no_criminal_case_ends_in_administrative_handling(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = transferred(w, D(2026, 3, 2))
    no = {"notice_no": "n1", "reason": "不构成犯罪"}
    m = w.step(m, "police_decline", "C1", at(D(2026, 3, 4)), no)
    m = w.step(m, "request_reconsideration", "P1", at(D(2026, 3, 5)), {"grounds": "g"})
    m = w.step(m, "reconsideration_decline", "C1", at(D(2026, 3, 9)), no)
    # the 3 days to suggest supervision after the reconsideration: late needs a reason
    supervise = {"procuratorate": "西湖区人民检察院", "grounds": "g"}
    with pytest.raises(GuardRefused) as err:
        w.step(m, "suggest_supervision", "P1", at(D(2026, 3, 13)), supervise)
    assert "第九条第二款" in err.value.reasons[0]
    m = w.step(m, "suggest_supervision", "P1", at(D(2026, 3, 12)), supervise)
    m = w.step(m, "resume_administrative", "H1", at(D(2026, 3, 20)), {"note": "依法给予行政处罚"})
    assert m.state == "administrative_resumed"
    assert [e.trigger for e in w.engine.history(m.id)][-1] == "resume_administrative"


def test_supervision_may_be_suggested_at_once_without_a_period(office: Store) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = transferred(w, D(2026, 3, 2))
    m = w.step(m, "police_decline", "C1", at(D(2026, 3, 4)), {"notice_no": "n", "reason": "r"})
    supervise = {"procuratorate": "西湖区人民检察院", "grounds": "g"}
    m = w.step(m, "suggest_supervision", "H1", at(D(2026, 3, 30)), supervise)
    m = w.step(m, "police_accept", "C1", at(D(2026, 4, 10)), {"notice_no": "立1"})
    assert m.state == "criminal_case_opened"


# --- the hand-over to a competent department -----------------------------------------------------


@pytest.mark.parametrize(
    ("received_on", "ok"),
    [(D(2026, 3, 3), True), (D(2026, 3, 2), False), (D(2026, 3, 5), True), (D(2026, 3, 6), False)],
)
def test_hand_over_to_the_competent_department(office: Store, received_on: date, ok: bool) -> None:
    w = Walker(office, at(D(2026, 3, 2)))
    m = w.report(at(D(2026, 3, 2), 9), route="department", team=("C1",))
    m = w.step(
        m,
        "decide_hand_over",
        "H1",
        at(D(2026, 3, 2), 10),
        {"to_department": "区农业农村局", "reason": "属农业执法管辖"},
    )
    m = w.step(
        m,
        "hand_over",
        "C1",
        at(D(2026, 3, 3), 10),
        {"letter_no": "移交〔2026〕1号", "materials": "卷宗一册"},
    )
    data = {"received_by": "农业局 张三", "received_on": received_on.isoformat()}
    if ok:
        assert w.step(m, "acknowledge", "C1", at(D(2026, 3, 5)), data).state == "acknowledged"
        return
    with pytest.raises(GuardRefused):
        w.step(m, "acknowledge", "C1", at(D(2026, 3, 5)), data)
