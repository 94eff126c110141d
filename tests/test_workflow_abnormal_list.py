"""The abnormal-operation list (经营异常名录): the annual report's 30 June, the 10 working days to
list, the 30 days to object, the cure that answers the ground, the 5 working days to remove, the
three years and the reminder before them; the file, the class and the credit repair."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from tests.helpers import counts
from tests.test_workflow_serious_list import listing_engine
from zhifa.credit import entity_file
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.store import Store
from zhifa.store.tables import Entity

D = date
REPORT = {"ground": "annual_report", "report_year": 2025, "facts": "未公示2025年度报告"}


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return listing_engine(bureau)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0)


def open_listing(engine: Engine, day: date, **data: Any) -> MatterView:
    return engine.open("abnormal_list", "H9", {**REPORT, **data}, at(day), entity=ENTITY).matter


def refused_open(engine: Engine, day: date, **data: Any) -> str:
    with pytest.raises(GuardRefused) as err:
        open_listing(engine, day, **data)
    return " ".join(err.value.reasons)


CASE_HANDLER_STEPS = ("object", "apply_for_removal")  # the others: the head H9


def do(engine: Engine, m: MatterView, trigger: str, day: date, **data: Any) -> MatterView:
    actor = "C1" if trigger in CASE_HANDLER_STEPS else "H9"
    return engine.advance(m, trigger, actor, data, at(day)).matter


def refused(engine: Engine, m: MatterView, trigger: str, day: date, **data: Any) -> str:
    with pytest.raises(GuardRefused) as err:
        do(engine, m, trigger, day, **data)
    return " ".join(err.value.reasons)


def test_a_report_filed_on_30_june_grounds_no_listing(engine: Engine, bureau: Store) -> None:
    before = counts(bureau)
    assert "filed on 2026-06-30, by the deadline of 2026-06-30" in refused_open(
        engine, D(2026, 7, 2), report_filed_on="2026-06-30"
    )
    assert counts(bureau) == before
    assert open_listing(engine, D(2026, 7, 2), report_filed_on="2026-07-01").state == "listed"


def test_no_listing_on_30_june_itself(engine: Engine) -> None:
    assert "may follow only after it, not on 2026-06-30" in refused_open(engine, D(2026, 6, 30))
    assert open_listing(engine, D(2026, 7, 1)).state == "listed"


def test_listed_within_ten_working_days_or_the_delay_explained(engine: Engine) -> None:
    """30 June 2026 is a Tuesday; the tenth working day after it is Tuesday 14 July."""
    late = refused_open(engine, D(2026, 7, 15))
    assert "by 2026-07-14; 2026-07-15 is late" in late
    assert open_listing(engine, D(2026, 7, 15), delay_reason="系统故障").state == "listed"


def test_the_last_of_the_ten_days_is_in_time(engine: Engine) -> None:
    assert open_listing(engine, D(2026, 7, 14)).state == "listed"


def test_a_firm_registered_after_the_year_owes_no_report(engine: Engine, bureau: Store) -> None:
    with bureau.write() as s:
        s.execute(
            sa.update(Entity).where(Entity.uscc == ENTITY).values(registered_on=D(2026, 1, 5))
        )
    assert "owes no report for 2025" in refused_open(engine, D(2026, 7, 2))
    assert open_listing(engine, D(2027, 7, 2), report_year=2026).state == "listed"


def test_other_grounds_need_their_day(engine: Engine) -> None:
    assert "give cause_on" in refused_open(engine, D(2026, 7, 2), ground="unreachable")
    m = open_listing(engine, D(2026, 7, 2), ground="unreachable", cause_on="2026-06-29")
    assert "already" in refused_open(engine, D(2026, 7, 3))
    assert m.state == "listed"


def test_an_objection_within_thirty_days(engine: Engine) -> None:
    m = open_listing(engine, D(2026, 7, 1))
    assert "by 2026-07-31, not on 2026-08-01" in refused(
        engine, m, "object", D(2026, 8, 1), grounds="已报"
    )
    m = do(engine, m, "object", D(2026, 7, 31), grounds="年报已按时提交，系统未显示")
    assert do(engine, m, "uphold_objection", D(2026, 8, 3), finding="系统错误").state == "corrected"


def test_the_cure_answers_the_ground(engine: Engine) -> None:
    m = open_listing(engine, D(2026, 7, 1))
    wrong = refused(
        engine,
        m,
        "apply_for_removal",
        D(2026, 9, 30),
        cure="reachable_again",
        cured_on="2026-09-29",
    )
    assert "is cured by reports_filed, not reachable_again" in wrong
    m = do(
        engine, m, "apply_for_removal", D(2026, 9, 30), cure="reports_filed", cured_on="2026-09-29"
    )
    assert m.state == "removal_applied"


def test_removed_within_five_working_days(engine: Engine) -> None:
    """Applied on 30 September 2026; the National Day holiday runs 1–7 October and 10 October
    is a working day: the fifth working day is Tuesday 13 October."""
    m = open_listing(engine, D(2026, 7, 1))
    m = do(
        engine, m, "apply_for_removal", D(2026, 9, 30), cure="reports_filed", cured_on="2026-09-29"
    )
    assert "to 2026-10-13; 2026-10-14 is late" in refused(engine, m, "remove", D(2026, 10, 14))
    assert do(engine, m, "remove", D(2026, 10, 13)).state == "removed"


def test_three_years_and_the_reminder_before_them(engine: Engine) -> None:
    m = open_listing(engine, D(2026, 7, 1))
    assert "from 2029-05-03 through 2029-07-01, not on 2029-05-02" in refused(
        engine, m, "remind", D(2029, 5, 2)
    )
    m = do(engine, m, "remind", D(2029, 5, 3))
    assert "referred from 2029-07-02, not on 2029-07-01" in refused(
        engine, m, "refer", D(2029, 7, 1)
    )
    assert do(engine, m, "refer", D(2029, 7, 2)).state == "referred"


def test_a_listed_entity_is_c_and_gets_no_credit_repair(engine: Engine, bureau: Store) -> None:
    from tests.test_workflow_credit_repair import approval

    m = open_listing(engine, D(2026, 7, 1))
    now = datetime(2030, 1, 1)
    assert entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 7, 1), now).now.credit_class == "C"
    data = {
        "decision_no": "西市监处罚〔2025〕12号",
        "published_on": "2025-08-31",
        "category": "general",
        "minor_only": False,
        "summary": "申请提前停止公示",
    }
    repair = engine.open("credit_repair", "H9", data, at(D(2026, 7, 2)), entity=ENTITY).matter
    stop = {"stopped_on": "2026-07-03"}
    reason = refused(engine, repair, "approve", D(2026, 7, 3), **approval(**stop))
    assert f"(abnormal_list matter {m.id}, listed;" in reason
    m = do(
        engine, m, "apply_for_removal", D(2026, 7, 6), cure="reports_filed", cured_on="2026-07-06"
    )
    do(engine, m, "remove", D(2026, 7, 7))
    assert (
        do(engine, repair, "approve", D(2026, 7, 8), **approval(stopped_on="2026-07-08")).state
        == "stopped"
    )
    assert entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 7, 7), now).now.credit_class == "A"
