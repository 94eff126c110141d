"""The consumer complaint (投诉, 市场监督管理投诉举报处理暂行办法): the 7 working days to decide on
acceptance (第十四条) and the six grounds not to accept (第十五条), mediation with consent (第十六条),
the 45 working days of mediation with testing time not counted (第二十条、第二十一条), the mediation
document (第二十二条), the 7 working days to tell the parties it ended; the complainant kept from
outsiders and from the credit file; and the notice a real-name reporter is owed within 5 working
days of the decision on their clue (第三十一条), listed by `zhifa due` until given.

Dates cross the 2026 Spring Festival (15–23 February off, Saturday 14 and 28 February worked), the
Mid-Autumn Festival (Friday 25 September off, Sunday 20 September worked) and National Day (1–7
October off, Saturday 10 October worked).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import make_engine, run_json
from zhifa.credit import entity_file
from zhifa.engine import DueItem, Engine
from zhifa.errors import FieldError, GuardRefused, RefusedError
from zhifa.hooks.types import MatterView
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.store import Store
from zhifa.workflow.deadlines import ClockState
from zhifa.workflow.definitions import CONFIDENTIAL

D = date
COMPLAINANT = "王小明"
CONTACT = "13900000000 杭州市西湖区文三路1号"
COMPLAINT = {
    "channel": "platform",
    "complainant": COMPLAINANT,
    "complainant_contact": CONTACT,
    "summary": "退还货款并赔偿",
    "facts": "购买的酸奶已超过保质期",
}
SETTLED = {"ground": "withdrawn_or_settled", "explanation": "双方自行和解"}
TIMED_OUT = {"ground": "time_limit_45_days", "explanation": "四十五个工作日内未达成协议"}
AGREEMENT = {
    "agreement": "退还货款50元",
    "on_site": True,
    "document_made": True,
}


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return make_engine(bureau, at=datetime(2026, 12, 31, 18, 0))[0]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0)


def receive(engine: Engine, day: date, **data: Any) -> MatterView:
    return engine.open("complaint", "C1", {**COMPLAINT, **data}, at(day), entity=ENTITY).matter


def do(
    engine: Engine, m: MatterView, trigger: str, day: date, actor: str = "C1", **data: Any
) -> MatterView:
    return engine.advance(m, trigger, actor, data, at(day)).matter


def refused(
    engine: Engine, m: MatterView, trigger: str, day: date, actor: str = "C1", **data: Any
) -> str:
    with pytest.raises(GuardRefused) as err:
        do(engine, m, trigger, day, actor, **data)
    return " ".join(err.value.reasons)


def refusal(open_it: Callable[[], object]) -> str:
    """The reasons the guards give for refusing ``open_it`` (an opening)."""
    with pytest.raises(GuardRefused) as err:
        open_it()
    return " ".join(err.value.reasons)


def clock(engine: Engine, m: MatterView, name: str, today: date) -> ClockState:
    (found,) = [c for c in engine.clocks(m, today) if c.spec.name == name]
    return found


def accepted(engine: Engine, received_on: date, accepted_on: date) -> MatterView:
    m = receive(engine, received_on)
    return do(engine, m, "accept", accepted_on, told_by="platform")


def mediating(engine: Engine, accepted_on: date, started_on: date) -> MatterView:
    m = accepted(engine, accepted_on, accepted_on)
    consent = {"complainant_consents": True, "business_consents": True}
    return do(engine, m, "start_mediation", started_on, **consent)


# -- receipt and acceptance (第九条、第十四条、第十五条) ------------------------------------------


def test_a_complaint_names_the_business(engine: Engine) -> None:
    reason = refusal(lambda: engine.open("complaint", "C1", COMPLAINT, at(D(2026, 9, 28))))
    assert "open it with --entity" in reason and "第九条" in reason


ACCEPTANCE = [
    # received, its 7th working day, the day after
    pytest.param(D(2026, 9, 28), D(2026, 10, 13), D(2026, 10, 14), id="national-day"),
    pytest.param(D(2026, 2, 10), D(2026, 2, 26), D(2026, 2, 27), id="spring-festival"),
]


@pytest.mark.parametrize(("received", "last", "late"), ACCEPTANCE)
def test_accepted_by_the_seventh_working_day(
    engine: Engine, received: date, last: date, late: date
) -> None:
    m = receive(engine, received)
    due = clock(engine, m, "acceptance", last)
    assert (due.due_on, due.remaining, due.overdue) == (last, 0, False)
    assert clock(engine, m, "acceptance", late).overdue
    m = do(engine, m, "accept", last, told_by="phone")
    assert (m.state, clock(engine, m, "acceptance", late).status) == ("accepted", "met")


@pytest.mark.parametrize(("received", "last", "late"), ACCEPTANCE)
def test_a_late_decision_on_acceptance_records_why(
    engine: Engine, received: date, last: date, late: date
) -> None:
    m = receive(engine, received)
    for trigger, data in (
        ("accept", {}),
        ("not_accept", {"ground": "not_competent", "explanation": "属卫健部门职责"}),
    ):
        reason = refused(engine, m, trigger, late, told_by="sms", **data)
        assert f"to {last}; {late} is late" in reason and "第十四条" in reason
        assert "delay_reason" in reason
    m = do(engine, m, "accept", late, told_by="sms", delay_reason="系统故障未及时分派")
    assert clock(engine, m, "acceptance", late).status == "missed"


TOLD = {"explanation": "见投诉材料", "told_by": "letter"}
GROUNDS = (
    "not_competent",
    "already_handled",
    "not_consumer_dispute",
    "beyond_three_years",
    "missing_materials",
    "other_law",
)


@pytest.mark.parametrize("ground", GROUNDS)
def test_not_accepted_on_each_ground_of_article_15(engine: Engine, ground: str) -> None:
    m = receive(engine, D(2026, 9, 28))
    m = do(engine, m, "not_accept", D(2026, 9, 29), ground=ground, **TOLD)
    assert m.state == "not_accepted"
    assert m.data["not_accept"]["ground"] == ground


def test_not_accepted_only_on_a_ground_of_article_15(engine: Engine) -> None:
    m = receive(engine, D(2026, 9, 28))
    with pytest.raises(FieldError, match="ground"):
        do(engine, m, "not_accept", D(2026, 9, 29), ground="too_small", **TOLD)
    assert engine.load(m.id).state == "received"


def test_a_complaint_without_the_complainants_contact_is_not_accepted(engine: Engine) -> None:
    m = receive(engine, D(2026, 9, 28), complainant_contact=None)
    reason = refused(engine, m, "accept", D(2026, 9, 29), told_by="phone")
    assert "lacks the complainant's phone and address (complainant_contact)" in reason
    assert "ground missing_materials" in reason and "第十五条第五项" in reason
    m = do(engine, m, "not_accept", D(2026, 9, 29), ground="missing_materials", **TOLD)
    assert m.state == "not_accepted"


def test_an_agent_needs_the_power_of_attorney(engine: Engine) -> None:
    m = receive(engine, D(2026, 9, 28), agent="李四")
    assert "power of attorney" in refused(engine, m, "accept", D(2026, 9, 29), told_by="phone")
    m = receive(engine, D(2026, 9, 28), agent="李四", power_of_attorney=True)
    assert do(engine, m, "accept", D(2026, 9, 29), told_by="phone").state == "accepted"


@pytest.mark.parametrize(
    ("received", "allowed"),
    [(D(2026, 9, 28), True), (D(2026, 9, 29), False)],
    ids=["last-day-of-three-years", "day-after"],
)
def test_a_complaint_within_three_years_of_the_harm(
    engine: Engine, received: date, allowed: bool
) -> None:
    m = receive(engine, received, harm_known_on="2023-09-28")
    if allowed:
        assert do(engine, m, "accept", D(2026, 9, 30), told_by="phone").state == "accepted"
        return
    reason = refused(engine, m, "accept", D(2026, 9, 30), told_by="phone")
    assert "within 3 years, by 2026-09-28" in reason and "beyond_three_years" in reason


# -- mediation (第十六条、第二十条、第二十一条、第二十二条) ------------------------------------------


def test_mediation_needs_both_parties_consent(engine: Engine) -> None:
    m = accepted(engine, D(2026, 9, 1), D(2026, 9, 2))
    reason = refused(
        engine,
        m,
        "start_mediation",
        D(2026, 9, 3),
        complainant_consents=True,
        business_consents=False,
    )
    assert "the business did not consent" in reason and "refused_or_absent" in reason
    m = do(
        engine,
        m,
        "end_mediation",
        D(2026, 9, 3),
        ground="refused_or_absent",
        explanation="拒绝调解",
    )
    assert m.state == "ending"


LAST_OF_45 = D(2026, 11, 9)
"""Accepted on Tuesday 1 September 2026: the 45th working day after it, counting Sunday 20
September and Saturday 10 October and skipping 25 September and 1–7 October, is Monday 9 November."""


def test_the_mediation_runs_45_working_days_from_acceptance(engine: Engine) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    period = clock(engine, m, "mediation", LAST_OF_45)
    assert (period.started_on, period.due_on, period.remaining) == (D(2026, 9, 1), LAST_OF_45, 0)
    assert "第二十一条" in period.spec.basis
    assert [i.clock.spec.name for i in engine.due(today=D(2026, 11, 10))] == ["mediation"]


def test_ending_on_the_45_days_only_after_they_ran_out(engine: Engine) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    reason = refused(engine, m, "end_mediation", LAST_OF_45, **TIMED_OUT)
    assert "runs through 2026-11-09" in reason and "from 2026-11-10, not on 2026-11-09" in reason
    assert "第二十一条第一款第五项" in reason
    m = do(engine, m, "end_mediation", D(2026, 11, 10), **TIMED_OUT)
    assert m.state == "ending"


def test_other_grounds_end_the_mediation_at_any_time(engine: Engine) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    assert do(engine, m, "end_mediation", D(2026, 9, 3), **SETTLED).state == "ending"


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(LAST_OF_45, True), (D(2026, 11, 10), False)],
    ids=["last-day", "day-after"],
)
def test_an_agreement_within_the_45_working_days(engine: Engine, day: date, allowed: bool) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    if allowed:
        m = do(engine, m, "agree", day, **AGREEMENT)
        assert (m.state, clock(engine, m, "mediation", day).status) == ("mediated", "met")
        return
    reason = refused(engine, m, "agree", day, **AGREEMENT)
    assert "ran out on 2026-11-09" in reason and "time_limit_45_days" in reason


def test_testing_time_does_not_count(engine: Engine) -> None:
    """Sent for testing on Monday 12 October, the result back on Friday 16 October: four working
    days (13–16 October) do not count, so the period ends on Friday 13 November."""
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    test = {"kind": "testing", "body": "浙江省食品检测研究院", "costs": "被投诉人先行垫付"}
    m = do(engine, m, "start_testing", D(2026, 10, 12), **test)
    paused = clock(engine, m, "mediation", D(2026, 11, 20))
    assert (paused.status, paused.due_on) == ("paused", None)
    reason = refused(engine, m, "end_mediation", D(2026, 11, 20), **TIMED_OUT)
    assert "paused while testing" in reason and "第二十条" in reason
    m = do(engine, m, "finish_testing", D(2026, 10, 16), result="菌落总数超标")
    assert clock(engine, m, "mediation", D(2026, 11, 13)).due_on == D(2026, 11, 13)
    assert "runs through 2026-11-13" in refused(
        engine, m, "end_mediation", D(2026, 11, 13), **TIMED_OUT
    )
    assert do(engine, m, "end_mediation", D(2026, 11, 14), **TIMED_OUT).state == "ending"


@pytest.mark.parametrize(
    ("changes", "fault"),
    [
        ({"document_made": False}, "give no_document_reason"),
        ({"document_made": False, "no_document_reason": "parties_agreed"}, "mediation_record"),
        ({"no_document_reason": "performed_at_once"}, "leave it out"),
        ({"on_site": False, "document_made": False}, "mediation_record"),
    ],
    ids=["on-site-no-document", "no-record", "document-and-reason", "remote-no-record"],
)
def test_the_mediation_document_or_record(
    engine: Engine, changes: dict[str, Any], fault: str
) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    assert fault in refused(engine, m, "agree", D(2026, 9, 10), **{**AGREEMENT, **changes})


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {
            "document_made": False,
            "no_document_reason": "performed_at_once",
            "mediation_record": "调记〔2026〕7号",
        },
        {"on_site": False, "document_made": False, "mediation_record": "电话调解录音2026-09-10"},
    ],
    ids=["document", "performed-at-once", "remote-with-record"],
)
def test_an_agreement_recorded(engine: Engine, changes: dict[str, Any]) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    assert do(engine, m, "agree", D(2026, 9, 10), **{**AGREEMENT, **changes}).state == "mediated"


@pytest.mark.parametrize(
    ("day", "allowed"),
    [(D(2026, 2, 26), True), (D(2026, 2, 27), False)],
    ids=["last-day", "day-after"],
)
def test_the_parties_are_told_within_seven_working_days_of_the_end(
    engine: Engine, day: date, allowed: bool
) -> None:
    """Ended on Tuesday 10 February 2026: the seventh working day, across the Spring Festival
    and the Saturday worked before it, is Thursday 26 February."""
    m = accepted(engine, D(2026, 2, 2), D(2026, 2, 3))
    m = do(engine, m, "end_mediation", D(2026, 2, 10), **SETTLED)
    assert clock(engine, m, "end_notice", day).due_on == D(2026, 2, 26)
    if allowed:
        assert do(engine, m, "tell_parties", day, told_by="phone").state == "mediation_ended"
        return
    reason = refused(engine, m, "tell_parties", day, told_by="phone")
    assert "to 2026-02-26; 2026-02-27 is late" in reason and "第二十一条第二款" in reason
    m = do(engine, m, "tell_parties", day, told_by="phone", delay_reason="被投诉人联系不上")
    assert m.state == "mediation_ended"


def test_complaint_steps_need_no_enforcement_certificate(engine: Engine) -> None:
    m = receive(engine, D(2026, 9, 28))
    assert do(engine, m, "accept", D(2026, 9, 29), actor="C4", told_by="phone").state == "accepted"


def test_a_violation_found_in_mediation_is_a_clue_following_the_complaint(
    engine: Engine, bureau: Store
) -> None:
    m = mediating(engine, D(2026, 9, 1), D(2026, 9, 2))
    clue = {"source": "complaint", "summary": "调解中发现销售过期食品"}
    found = engine.open("clue", "C1", clue, at(D(2026, 9, 10)), follows=m).matter
    assert (found.workflow, found.entity_id) == ("clue", m.entity_id)
    assert [f.id for f in engine.links(m.id)[1]] == [found.id]
    later = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 9, 10), at(D(2026, 9, 10)))
    records = [r for r in later.as_dict()["records"] if r["kind"] == "complaint"]
    assert [r["on"] for r in records] == ["2026-09-01"]  # the complaint counts once


# -- the complainant and the credit file ----------------------------------------------------------


def test_only_the_handlers_see_the_complainant(engine: Engine, bureau: Store) -> None:
    m = receive(engine, D(2026, 9, 28), agent="李四", power_of_attorney=True)
    m = do(engine, m, "accept", D(2026, 9, 29), actor="C2", told_by="phone")
    history = engine.history(m.id)
    for handler in ("C1", "C2"):
        shown, events = engine.as_seen_by(handler, m, history)
        assert shown.data["open"]["complainant"] == COMPLAINANT
        assert events[0].data["complainant_contact"] == CONTACT
    for outsider in ("L1", "H1", None):
        shown, events = engine.as_seen_by(outsider, m, history)
        text = json.dumps([shown.data, [e.data for e in events]], ensure_ascii=False)
        assert COMPLAINANT not in text and CONTACT not in text and "李四" not in text
        assert shown.data["open"]["complainant"] == CONFIDENTIAL
        assert events[0].data["facts"] == COMPLAINT["facts"]  # only the personal data is hidden
    found = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 9, 30), at(D(2026, 9, 30)))
    text = json.dumps(found.as_dict(), ensure_ascii=False)
    assert COMPLAINANT not in text and CONTACT not in text and "李四" not in text


def test_an_accepted_complaint_is_a_credit_record_and_one_not_accepted_is_not(
    engine: Engine, bureau: Store
) -> None:
    accepted(engine, D(2026, 9, 28), D(2026, 9, 29))
    m = receive(engine, D(2026, 9, 28))
    do(
        engine,
        m,
        "not_accept",
        D(2026, 9, 30),
        ground="not_consumer_dispute",
        explanation="经营用途",
        told_by="sms",
    )
    found = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 10, 8), at(D(2026, 10, 8)))
    records = [r for r in found.as_dict()["records"] if r["kind"] == "complaint"]
    assert [(r["on"], r["flags"], r["details"]) for r in records] == [
        ("2026-09-29", ["complaint"], {"source": "complaint"})
    ]


# -- the real-name reporter's notice (第三十一条) ---------------------------------------------------

DECIDED = D(2026, 9, 29)  # Tuesday
NOTICE_DUE = D(2026, 10, 12)
"""The fifth working day after 29 September 2026: 30 September, 8, 9 and 10 (a Saturday worked)
and 12 October, National Day off between."""
REPORT = {
    "source": "report",
    "summary": "无照经营",
    "reporter": "张三 13800000000",
    "real_name": True,
}


def decided(engine: Engine, trigger: str = "open_case", **changes: Any) -> MatterView:
    m = engine.open("clue", "C1", {**REPORT, **changes}, at(D(2026, 9, 21)), entity=ENTITY).matter
    m = engine.advance(m, "assign", "H1", {"verifiers": ["C1", "C2"]}, at(D(2026, 9, 22))).matter
    data = (
        {"act_date": "2026-09-15", "handlers": ["C1", "C2"], "violation": "无照经营"}
        if trigger == "open_case"
        else {"ground": "no_violation", "explanation": "经核查已办理营业执照"}
    )
    return engine.advance(m, trigger, "H1", data, at(DECIDED)).matter


def owed(engine: Engine, today: date) -> list[DueItem]:
    return [i for i in engine.due(today=today) if i.follow_up]


@pytest.mark.parametrize("trigger", ["open_case", "decline"])
@pytest.mark.parametrize(
    ("today", "overdue", "remaining"),
    [(NOTICE_DUE, False, 0), (D(2026, 10, 13), True, -1)],
    ids=["last-day", "first-day-late"],
)
def test_a_real_name_report_owes_the_reporter_a_notice(
    engine: Engine, trigger: str, today: date, overdue: bool, remaining: int
) -> None:
    m = decided(engine, trigger)
    (item,) = owed(engine, today)
    assert (item.matter.id, item.follow_up) == (m.id, "reporter_notice")
    assert (item.clock.started_on, item.clock.due_on) == (DECIDED, NOTICE_DUE)
    assert (item.clock.overdue, item.clock.remaining) == (overdue, remaining)
    assert "第三十一条" in item.clock.spec.basis


@pytest.mark.parametrize(
    "changes",
    [{"real_name": False}, {"real_name": None}, {"source": "complaint"}],
    ids=["anonymous", "not-recorded", "a-complaint"],
)
def test_no_notice_is_owed_but_to_a_real_name_reporter(
    engine: Engine, changes: dict[str, Any]
) -> None:
    decided(engine, **changes)
    assert owed(engine, D(2026, 10, 13)) == []


@pytest.mark.parametrize(
    ("day", "reason"),
    [(NOTICE_DUE, None), (D(2026, 10, 13), None), (D(2026, 10, 13), "举报人电话无人接听")],
    ids=["last-day", "day-after", "day-after-explained"],
)
def test_the_notice_is_given_within_five_working_days(
    engine: Engine, day: date, reason: str | None
) -> None:
    m = decided(engine)
    data = {"told_by": "phone", "delay_reason": reason}
    if day > NOTICE_DUE and reason is None:
        with pytest.raises(GuardRefused) as err:
            engine.open("reporter_notice", "C1", data, at(day), follows=m)
        assert "by 2026-10-12; 2026-10-13 is late" in " ".join(err.value.reasons)
        assert len(owed(engine, day)) == 1
        return
    notice = engine.open("reporter_notice", "C1", data, at(day), follows=m).matter
    assert owed(engine, day) == []
    filed = engine.advance(notice, "file_proof", "C1", {"proof": "通话记录"}, at(day)).matter
    assert filed.state == "filed"


def test_a_notice_follows_a_decided_clue_with_a_reporter(engine: Engine) -> None:
    m = decided(engine)
    told = {"told_by": "sms"}

    def notice(day: date, **where: Any) -> object:
        return engine.open("reporter_notice", "C1", told, at(day), **where)

    assert "open it with --follows" in refusal(lambda: notice(DECIDED, entity=ENTITY))
    early = refusal(lambda: notice(D(2026, 9, 28), follows=m))
    assert "decided on 2026-09-29" in early and "not on 2026-09-28" in early
    found = decided(engine, source="inspection", reporter=None, real_name=None)
    assert "no reporter to tell" in refusal(lambda: notice(DECIDED, follows=found))
    pending = engine.open("clue", "C1", REPORT, at(D(2026, 9, 21)), entity=ENTITY).matter
    with pytest.raises(RefusedError, match="only once it is"):
        engine.open("reporter_notice", "C1", told, at(DECIDED), follows=pending)


def test_zhifa_due_lists_the_notice(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(sqlite_bureau, at=datetime(2026, 12, 31, 18, 0))[0]
    m = decided(engine)
    items = run_json(capsys, "due", "--db", sqlite_bureau.url)
    (item,) = [i for i in items if i["follow_up"]]
    assert (item["matter"], item["follow_up"], item["due_on"]) == (
        m.id,
        "reporter_notice",
        NOTICE_DUE.isoformat(),
    )
    assert item["overdue"] is True  # the command counts from today, after 12 October 2026
