"""Compulsory enforcement of an unpaid fine (行政强制法) at each rule's boundary, on SQLite and
PostgreSQL: the written demand, the department's own enforcement, the court application and its
windows, suspension and the end of enforcement, and closing the case only once the fine is paid,
enforced or its enforcement ended. The periods are documented in core/zhifa/procedure/execution.py.

The fine used throughout: 200 yuan decided on the spot on Monday 2 March 2026, so received that
day and due on 17 March; every day late adds 6 yuan.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from tests.helpers import make_engine
from tests.test_workflow_case import Walk, open_case, open_data, seed_case_officers, spot_fine
from zhifa.calendar import WorkCalendar
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.procedure.execution import court_earliest, court_window
from zhifa.store import Store
from zhifa.store.tables import Officer

D = date
ART_35 = "行政强制法 第三十五条"
ART_46 = "行政强制法 第四十六条"
ART_53 = "行政强制法 第五十三条"
ART_54 = "行政强制法 第五十四条"
DEADLINE = D(2026, 3, 25)


@pytest.fixture
def engine(bureau: Store) -> Engine:
    """The bureau, its certificates renewed to the end of 2031: enforcement can last years."""
    seed_case_officers(bureau)
    with bureau.write() as session:
        session.execute(sa.update(Officer).values(certificate_valid_to=D(2031, 12, 31)))
    return make_engine(bureau, at=datetime(2030, 1, 1, 12, 0))[0]


def demand(
    fine: str = "200", surcharge: str = "6.00", deadline: date = DEADLINE, **more: Any
) -> dict[str, Any]:
    return {
        "fine_due": fine,
        "surcharge_due": surcharge,
        "deadline": deadline.isoformat(),
        "method": "至西湖区市场监管局缴款窗口或银行代收点缴纳",
        "rights_told": True,
        **more,
    }


def demanded(engine: Engine, review: bool = False) -> Walk:
    """The spot fine, demanded on 18 March (deadline 25 March); with ``review``, a review ran from
    10 to 20 March and the demand, on 23 March, states 3 days' surcharge."""
    walk = spot_fine(engine)
    if not review:
        walk.do("serve_demand", "C1", D(2026, 3, 18), demand())
        return walk
    walk.do(
        "apply_for_review",
        "C1",
        D(2026, 3, 10),
        {"kind": "administrative_review", "body": "区政府"},
    )
    walk.do("conclude_review", "C1", D(2026, 3, 20), {"outcome": "upheld"})
    walk.do(
        "serve_demand", "C1", D(2026, 3, 23), demand(surcharge="18.00", deadline=D(2026, 3, 27))
    )
    return walk


ENFORCE = {
    "power_basis": "行政处罚法 第七十二条第一款第二项",
    "measure": "auction",
    "statements": "无",
}
COURT = {"court": "杭州市西湖区人民法院", "statements": "当事人未提出陈述申辩"}


# --- the written demand (Art 35) ----------------------------------------------------------------


def test_no_demand_while_the_fine_may_still_be_paid(engine: Engine) -> None:
    walk = spot_fine(engine)
    (reason,) = walk.refused("serve_demand", "C1", D(2026, 3, 17), demand(surcharge="0.00"))
    assert "may be paid until 2026-03-17" in reason and "第七十二条" in reason
    assert walk.do("serve_demand", "C1", D(2026, 3, 18), demand()).state == "demanded"


def test_demand_states_the_exact_amounts_deadline_and_rights(engine: Engine) -> None:
    walk = spot_fine(engine)
    bad = demand(fine="199.99", surcharge="5.99", deadline=D(2026, 3, 18), rights_told=False)
    reasons = walk.refused("serve_demand", "C1", D(2026, 3, 18), bad)
    assert len(reasons) == 4 and all(ART_35 in r for r in reasons)
    assert "the fine decided, 200.00 yuan" in reasons[0]
    assert "surcharge accrued to 2026-03-18 is 6.00 yuan (1 day(s) late" in reasons[1]
    assert "deadline to pay must come after" in reasons[2]
    assert "right to state and defend" in reasons[3]


def test_no_demand_without_a_fine(engine: Engine) -> None:
    walk = open_case(engine, D(2026, 3, 2), "C1", procedure="simple", party_kind="person")
    data = {"facts_conclusive": True, "legal_basis": "x", "penalty_kind": "warning"}
    walk.do("decide_on_the_spot", "C1", D(2026, 3, 2), data)
    (reason,) = walk.refused("serve_demand", "C1", D(2026, 3, 18), demand(fine="0"))
    assert "imposes no fine" in reason


# --- the department's own enforcement (Art 37, 46) ----------------------------------------------


def test_enforcement_waits_for_the_deadline_and_thirty_days_of_surcharge(engine: Engine) -> None:
    walk = demanded(engine)
    reasons = walk.refused("decide_enforcement", "H1", D(2026, 3, 25), ENFORCE)
    assert "deadline 2026-03-25 has not passed" in reasons[0] and "第三十七条" in reasons[0]
    assert "run 8 day(s)" in reasons[1] and ART_46 in reasons[1]
    (reason,) = walk.refused("decide_enforcement", "H1", D(2026, 4, 16), ENFORCE)  # 30 days
    assert "run 30 day(s) since 2026-03-17" in reason
    assert walk.do("decide_enforcement", "H1", D(2026, 4, 17), ENFORCE).state == "enforcing"


def test_days_under_review_do_not_count_towards_the_thirty(engine: Engine) -> None:
    walk = demanded(engine, review=True)
    (reason,) = walk.refused("decide_enforcement", "H1", D(2026, 4, 19), ENFORCE)
    assert "run 30 day(s)" in reason  # 33 days after the due date, 3 of them under review
    assert walk.do("decide_enforcement", "H1", D(2026, 4, 20), ENFORCE).state == "enforcing"


def test_enforcement_recovers_the_fine_and_the_surcharge(engine: Engine) -> None:
    walk = demanded(engine)
    walk.do("decide_enforcement", "H1", D(2026, 4, 17), ENFORCE)
    # recovered on 20 April: 34 days late, 204 yuan, capped at the fine of 200
    full = {"recovered_on": "2026-04-20", "fine_recovered": "200", "surcharge_recovered": "200"}
    reasons = walk.refused(
        "record_enforced", "C1", D(2026, 4, 21), {**full, "fine_recovered": "199.99"}
    )
    assert "199.99 yuan recovered is less than the fine of 200.00 yuan" in reasons[0]
    short = {**full, "surcharge_recovered": "199.99"}
    (reason,) = walk.refused("record_enforced", "C1", D(2026, 4, 21), short)
    assert "surcharge owed on 2026-04-20 is 200.00 yuan" in reason and "第四十二条" in reason
    agreed = {
        **short,
        "surcharge_recovered": "0",
        "agreement": "当事人已采取补救措施，减免加处罚款",
    }
    assert walk.do("record_enforced", "C1", D(2026, 4, 21), agreed).state == "executed"
    assert walk.do("close", "H1", D(2026, 4, 21), {"summary": "强制执行完毕"}).state == "closed"


def test_payment_after_the_demand_owes_the_surcharge_to_that_day(engine: Engine) -> None:
    walk = demanded(engine)
    pay = {"paid_on": "2026-03-24", "amount_paid": "200", "surcharge_paid": "41.99"}
    (reason,) = walk.refused("record_payment", "C1", D(2026, 3, 24), pay)
    assert "the surcharge is 42.00 yuan" in reason
    walk.do("record_payment", "C1", D(2026, 3, 24), {**pay, "surcharge_paid": "42.00"})
    assert walk.do("close", "H1", D(2026, 3, 24), {"summary": "缴清"}).state == "closed"


# --- the court application (Art 53, 54, 69) -----------------------------------------------------


def test_court_window_after_the_six_months_to_sue() -> None:
    cal = WorkCalendar()
    assert court_window(D(2026, 3, 2), cal) == (D(2026, 9, 3), D(2026, 12, 2))
    # six months from 5 April end on 5 October, inside the National Day holiday: moved to 8 October
    assert court_window(D(2026, 4, 5), cal) == (D(2026, 10, 9), D(2027, 1, 8))


def test_court_ten_working_days_cross_qingming() -> None:
    # 24-27 and 30-31 March, 1-3 April, then 7 April (4-6 April are the Qingming holiday)
    assert court_earliest(D(2026, 3, 23), WorkCalendar()) == D(2026, 4, 8)


@pytest.mark.parametrize(
    ("day", "fragment"),
    [
        (D(2026, 9, 2), "may still sue until 2026-09-02"),
        (D(2026, 9, 3), None),
        (D(2026, 12, 2), None),
        (D(2026, 12, 3), "three months to apply to the court ended on 2026-12-02"),
    ],
)
def test_court_application_window(engine: Engine, day: date, fragment: str | None) -> None:
    walk = demanded(engine)
    if fragment is None:
        assert walk.do("apply_to_court", "H1", day, COURT).state == "court_applied"
    else:
        (reason,) = walk.refused("apply_to_court", "H1", day, COURT)
        assert fragment in reason and ART_53 in reason


@pytest.mark.parametrize(("day", "ok"), [(D(2026, 4, 7), False), (D(2026, 4, 8), True)])
def test_court_application_ten_working_days_after_the_demand(
    engine: Engine, day: date, ok: bool
) -> None:
    walk = demanded(engine, review=True)  # after a review the Art 53 window is not checked
    if ok:
        assert walk.do("apply_to_court", "H1", day, COURT).state == "court_applied"
    else:
        (reason,) = walk.refused("apply_to_court", "H1", day, COURT)
        assert "received on 2026-03-23" in reason and "from 2026-04-08" in reason
        assert ART_54 in reason


def test_court_ruling_paths(engine: Engine) -> None:
    walk = demanded(engine)
    walk.do("apply_to_court", "H1", D(2026, 9, 3), COURT)
    walk.do(
        "court_orders_enforcement", "C1", D(2026, 9, 10), {"ruling_no": "（2026）浙0106行审1号"}
    )
    done = {"recovered_on": "2026-09-20", "fine_recovered": "200", "surcharge_recovered": "200"}
    assert walk.do("record_enforced", "C1", D(2026, 9, 21), done).state == "executed"

    other = demanded(engine)
    other.do("apply_to_court", "H1", D(2026, 9, 3), COURT)
    refusal = {"ruling_no": "（2026）浙0106行审2号", "reason": "决定书送达程序存在瑕疵"}
    assert other.do("court_refuses", "C1", D(2026, 9, 10), refusal).state == "execution_ended"
    assert other.do("close", "H1", D(2026, 9, 10), {"summary": "法院不予执行"}).state == "closed"


# --- suspension, end, closing (Art 39, 40) ------------------------------------------------------


def test_an_unpaid_fine_keeps_the_case_open_until_enforcement_ends(engine: Engine) -> None:
    walk = spot_fine(engine)
    (reason,) = walk.refused("close", "H1", D(2026, 3, 18), {"summary": "x"})
    assert "not paid (record_payment) nor enforced" in reason
    walk.do("serve_demand", "C1", D(2026, 3, 18), demand())
    end = {"ground": "person_died", "explanation": "当事人死亡，无遗产可供执行"}
    walk.do("end_execution", "H1", D(2026, 3, 30), end)
    assert walk.do("close", "H1", D(2026, 3, 30), {"summary": "终结执行"}).state == "closed"


@pytest.mark.parametrize(("day", "ok"), [(D(2029, 5, 3), False), (D(2029, 5, 4), True)])
def test_enforcement_suspended_three_years_may_end(engine: Engine, day: date, ok: bool) -> None:
    walk = demanded(engine)
    walk.do("decide_enforcement", "H1", D(2026, 4, 17), ENFORCE)
    suspend = {"ground": "unable_to_pay", "explanation": "当事人暂无履行能力"}
    walk.do("suspend_execution", "H1", D(2026, 5, 4), suspend)
    end = {"ground": "suspended_three_years", "explanation": "中止满三年，确无能力履行"}
    if ok:
        assert walk.do("end_execution", "H1", day, end).state == "execution_ended"
    else:
        (reason,) = walk.refused("end_execution", "H1", day, end)
        assert "may end on this ground from 2029-05-04" in reason and "第三十九条" in reason


def test_three_year_ground_needs_a_suspension(engine: Engine) -> None:
    walk = demanded(engine)
    end = {"ground": "suspended_three_years", "explanation": "x"}
    (reason,) = walk.refused("end_execution", "H1", D(2029, 6, 1), end)
    assert "not suspended" in reason
    walk.do("decide_enforcement", "H1", D(2026, 4, 17), ENFORCE)
    walk.do("suspend_execution", "H1", D(2026, 5, 4), {"ground": "other", "explanation": "x"})
    (reason,) = walk.refused("end_execution", "H1", D(2029, 6, 1), end)
    assert "cannot pay" in reason
    walk.do("resume_execution", "H1", D(2029, 6, 1), {"explanation": "情形消失"})
    assert walk.matter.state == "enforcing"


# --- the limitation period runs to the discovery (行政处罚法 Art 36) -------------------------------


@pytest.mark.parametrize(
    ("discovered", "fragment"),
    [
        (D(2026, 3, 1), None),  # the last day of the two years after 1 March 2024
        (D(2026, 3, 2), "limitation period ended on 2026-03-01"),
        (D(2026, 3, 11), "after this step"),
    ],
)
def test_limitation_is_counted_to_the_discovery(
    engine: Engine, discovered: date, fragment: str | None
) -> None:
    data = {"act_date": "2024-03-01", "discovered_on": discovered.isoformat()}
    moment = datetime(2026, 3, 10, 9, 0)
    if fragment is None:
        opened = engine.open("case", "H1", open_data(**data), moment, entity=ENTITY)
        assert opened.matter.state == "investigating"  # filed after the two years: still lawful
        return
    with pytest.raises(GuardRefused) as err:
        engine.open("case", "H1", open_data(**data), moment, entity=ENTITY)
    assert any(fragment in r for r in err.value.reasons)


def test_without_a_discovery_date_the_filing_date_counts(engine: Engine) -> None:
    with pytest.raises(GuardRefused) as err:
        engine.open("case", "H1", open_data(act_date="2024-03-01"), datetime(2026, 3, 10, 9, 0))
    assert any("ended on 2026-03-01" in r for r in err.value.reasons)
