"""Credit repair (信用修复): the first eligible day at its boundaries, every unmet condition reported
together, and the workflow on SQLite and PostgreSQL (市场监督管理行政处罚信息公示规定 第十三条、第十四条)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import make_engine
from zhifa.calendar import add_months
from zhifa.engine import Engine
from zhifa.errors import GuardRefused, PermissionRefused
from zhifa.procedure.credit_repair import (
    CONDITIONS,
    eligibility_problems,
    first_eligible_day,
    publication_ends,
)
from zhifa.store import Store

D = date
ALL_MET = {name: True for name, _, _ in CONDITIONS}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 3, 10), 6, D(2026, 9, 10)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),  # no 31 February: the month's last day
        (D(2027, 8, 31), 6, D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), 6, D(2026, 9, 30)),
        (D(2026, 2, 28), 6, D(2026, 8, 28)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2026, 7, 15), 6, D(2027, 1, 15)),  # across the year end
        (D(2026, 12, 31), 2, D(2027, 2, 28)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("published", "category", "first"),
    [
        (D(2026, 3, 10), "general", D(2026, 9, 11)),
        (D(2026, 8, 31), "general", D(2027, 3, 1)),  # period ends 28 Feb 2027
        (D(2027, 8, 31), "general", D(2028, 3, 1)),  # period ends 29 Feb 2028
        (D(2026, 3, 31), "general", D(2026, 10, 1)),  # period ends 30 Sep
        (D(2025, 12, 31), "general", D(2026, 7, 1)),  # period ends 30 Jun
        (D(2026, 3, 10), "food_drug_equipment", D(2027, 3, 11)),
        (D(2028, 2, 29), "food_drug_equipment", D(2029, 3, 1)),  # period ends 28 Feb 2029
        (D(2026, 3, 10), "severe", None),
    ],
)
def test_first_eligible_day(published: date, category: str, first: date | None) -> None:
    assert first_eligible_day(published, category) == first


@pytest.mark.parametrize(
    ("published", "category", "applied", "eligible"),
    [
        (D(2025, 8, 31), "general", D(2026, 2, 28), False),  # last day of the period
        (D(2025, 8, 31), "general", D(2026, 3, 1), True),  # the first eligible day
        (D(2025, 3, 10), "food_drug_equipment", D(2026, 3, 10), False),
        (D(2025, 3, 10), "food_drug_equipment", D(2026, 3, 11), True),
        (D(2025, 3, 10), "general", D(2025, 9, 10), False),
        (D(2025, 3, 10), "general", D(2025, 9, 11), True),
        (D(2023, 3, 10), "general", D(2026, 3, 10), True),  # last day of the 3-year publication
        (D(2023, 3, 10), "general", D(2026, 3, 11), False),  # publication already ended
    ],
)
def test_minimum_period_boundaries(
    published: date, category: str, applied: date, eligible: bool
) -> None:
    problems = eligibility_problems(published, category, False, applied, ALL_MET)
    assert (problems == []) is eligible, problems
    if not eligible:
        (problem,) = problems
        assert "第十三条" in problem or "第十四条第一款" in problem


def test_severe_penalty_is_never_ended_early() -> None:
    (problem,) = eligibility_problems(D(2020, 1, 1), "severe", False, D(2022, 6, 1), ALL_MET)
    assert "never ended early" in problem and "第十四条第三款" in problem


def test_minor_penalties_stop_by_themselves() -> None:
    (problem,) = eligibility_problems(D(2026, 1, 31), "general", True, D(2026, 9, 1), ALL_MET)
    assert "2026-04-30" in problem and "第十三条" in problem and "第二条" in problem
    assert publication_ends(D(2026, 1, 31), True) == D(2026, 4, 30)
    assert publication_ends(D(2024, 2, 29), False) == D(2027, 2, 28)


@pytest.mark.parametrize(("name", "wrong", "basis"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_each_unmet_condition_is_its_own_reason(name: str, wrong: str, basis: str) -> None:
    conditions = {**ALL_MET, name: False}
    (problem,) = eligibility_problems(D(2025, 1, 2), "general", False, D(2026, 1, 5), conditions)
    assert problem == f"{name}: {wrong} ({basis})"


def test_all_unmet_conditions_are_reported_together() -> None:
    none_met = {name: False for name, _, _ in CONDITIONS}
    problems = eligibility_problems(
        D(2026, 1, 5), "food_drug_equipment", False, D(2026, 6, 1), none_met
    )
    assert len(problems) == 1 + len(CONDITIONS)
    assert "possible from 2027-01-06" in problems[0]
    assert [p.split(":")[0] for p in problems[1:]] == [c[0] for c in CONDITIONS]


# -- the workflow through the engine ---------------------------------------------------------------


def apply(engine: Engine, published: str, category: str = "general", minor: bool = False) -> Any:
    data = {
        "decision_no": "西市监处罚〔2025〕12号",
        "published_on": published,
        "category": category,
        "minor_only": minor,
        "summary": "已缴清罚款，申请提前停止公示",
    }
    return engine.open("credit_repair", "C1", data, entity=ENTITY).matter


def approval(**overrides: Any) -> dict[str, Any]:
    return {**ALL_MET, "stopped_on": "2026-03-05", **overrides}


@pytest.mark.parametrize(
    ("applied", "allowed"),
    [(datetime(2026, 2, 28, 10), False), (datetime(2026, 3, 1, 10), True)],
    ids=["last-day-of-period", "first-eligible-day"],
)
def test_approve_at_the_minimum_period(bureau: Store, applied: datetime, allowed: bool) -> None:
    engine, clock = make_engine(bureau, at=applied)
    m = apply(engine, "2025-08-31")
    clock.set(datetime(2026, 3, 5, 9))
    if allowed:
        r = engine.advance(m, "approve", "H1", approval())
        assert r.matter.state == "stopped"
        assert r.matter.data["approve"]["stopped_on"] == "2026-03-05"
        assert [e.trigger for e in engine.history(m.id)] == ["open", "approve"]
    else:
        with pytest.raises(GuardRefused) as err:
            engine.advance(m, "approve", "H1", approval())
        (reason,) = err.value.reasons
        assert "possible from 2026-03-01, not on 2026-02-28" in reason
        assert engine.load(m.id).state == "applied"


def test_refusal_lists_every_unmet_condition_then_records_reasons(bureau: Store) -> None:
    engine, clock = make_engine(bureau, at=datetime(2026, 3, 2, 9))
    m = apply(engine, "2025-09-01", category="severe")
    with pytest.raises(GuardRefused) as err:
        engine.advance(
            m,
            "approve",
            "H1",
            approval(harm_eliminated=False, commitment_submitted=False, stopped_on="2026-03-01"),
        )
    reasons = err.value.reasons
    assert len(reasons) == 4
    assert "第十四条第三款" in reasons[0]
    assert reasons[1].startswith("harm_eliminated:") and "第（二）项" in reasons[1]
    assert reasons[2].startswith("commitment_submitted:") and "书面信用承诺" in reasons[2]
    assert "before the approval of 2026-03-02" in reasons[3]
    clock.advance(hours=1)
    r = engine.advance(m, "refuse", "H1", {"reasons": "\n".join(reasons)})
    assert r.matter.state == "refused"
    assert r.matter.data["refuse"]["reasons"].startswith("a severe penalty")


def test_only_the_head_decides(bureau: Store) -> None:
    engine, _ = make_engine(bureau, at=datetime(2026, 3, 5, 9))
    m = apply(engine, "2025-08-31")
    with pytest.raises(PermissionRefused):
        engine.advance(m, "approve", "C1", approval())
