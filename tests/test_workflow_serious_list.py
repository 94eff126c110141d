"""The serious violation and dishonesty list (严重违法失信名单): only after a heavier penalty, the
weighing and notice before the decision, no listing without intent, the upper level's consent,
publication, early removal after one full year when every condition holds (read from the record),
removal after three years, revocation within 3 working days; and the entity's file and class."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import counts, make_engine
from tests.test_credit_file import decided_heavy
from tests.test_follow_up_facts import decided_case
from tests.test_workflow_case import seed_case_officers
from zhifa.credit import entity_file
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.procedure.serious_list import listing_ends, removable_from
from zhifa.rules.credit import NATIONAL_SCHEME, parse_credit_scheme
from zhifa.store import Store

D = date
LISTED = D(2026, 3, 16)  # a Monday: the listing day
OPENING = {
    "ground": "food_safety",
    "weighing": "多次违法，货值大，危害健康",
    "facts": "销售不合格食品",
}
CONSENT = {"decision_no": "杭西市监列严〔2026〕1号", "upper_consent_body": "杭州市市场监督管理局"}


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return listing_engine(bureau)


def listing_engine(bureau: Store) -> Engine:
    """The bureau with the case officers and H9, a head whose certificate runs to 2031 (the
    others' end in 2027), who removes listings at expiry."""
    from zhifa.store.tables import Officer

    seed_case_officers(bureau)
    with bureau.write() as session:
        session.add(
            Officer(
                id="H9",
                name="钱局长",
                department_code="HZXH",
                roles="head",
                certificate_no="ZF-H9",
                certificate_valid_from=D(2024, 1, 1),
                certificate_valid_to=D(2031, 12, 31),
            )
        )
    return make_engine(bureau, at=datetime(2030, 1, 1, 9, 0))[0]


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0)


def _case(engine: Engine) -> MatterView:
    """A case that decided a heavier penalty (restricted production) on 4 Mar 2026."""
    return decided_heavy(engine, "production_restriction")


def do(
    engine: Engine, m: MatterView, trigger: str, actor: str, day: date, **data: Any
) -> MatterView:
    return engine.advance(m, trigger, actor, data, at(day)).matter


def refused(engine: Engine, m: MatterView, trigger: str, actor: str, day: date, **data: Any) -> str:
    with pytest.raises(GuardRefused) as err:
        do(engine, m, trigger, actor, day, **data)
    return " ".join(err.value.reasons)


def listed(engine: Engine, case: MatterView | None = None) -> MatterView:
    """A listing of the heavier case, decided on :data:`LISTED` and published the next day."""
    case = case or _case(engine)
    m = engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=case).matter
    m = do(engine, m, "notify", "C1", D(2026, 3, 6), served_on="2026-03-06")
    m = do(
        engine,
        m,
        "hear_statement",
        "C1",
        D(2026, 3, 10),
        statement="无异议",
        no_intent_proven=False,
    )
    m = do(engine, m, "decide_listing", "H1", LISTED, upper_consent_on="2026-03-13", **CONSENT)
    return do(engine, m, "publish", "C1", D(2026, 3, 17))


def test_the_periods_count_as_the_civil_code_does() -> None:
    assert removable_from(D(2026, 3, 16)) == D(2027, 3, 17)
    assert listing_ends(D(2026, 3, 16)) == D(2029, 3, 16)
    assert removable_from(D(2024, 2, 29)) == D(2025, 3, 1)  # the year ends on 28 February
    assert listing_ends(D(2024, 2, 29)) == D(2027, 2, 28)


def test_only_a_heavier_penalty_grounds_a_listing(engine: Engine, bureau: Store) -> None:
    ordinary = decided_case(engine, "5000").matter  # a fine without the heavier tier
    before = counts(bureau)
    with pytest.raises(GuardRefused) as err:
        engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=ordinary)
    assert "decided fine (no tier recorded), not a heavier penalty" in err.value.reasons[0]
    with pytest.raises(GuardRefused) as err:
        engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), entity=ENTITY)
    assert "open it with --follows CASE" in err.value.reasons[0]
    assert counts(bureau) == before


def test_one_listing_of_a_case_at_a_time(engine: Engine) -> None:
    case = _case(engine)
    first = engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=case).matter
    with pytest.raises(GuardRefused) as err:
        engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=case)
    assert f"serious_list matter {first.id} (proposed)" in err.value.reasons[0]
    do(engine, first, "decide_not_to_list", "H1", D(2026, 3, 6), reason="情节较轻")
    engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 9)), follows=case)


def test_no_listing_when_no_intent_is_proven(engine: Engine) -> None:
    m = engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=_case(engine)).matter
    m = do(engine, m, "notify", "C1", D(2026, 3, 6), served_on="2026-03-06")
    m = do(
        engine,
        m,
        "hear_statement",
        "C1",
        D(2026, 3, 10),
        statement="系供货商伪造",
        no_intent_proven=True,
    )
    reason = refused(
        engine, m, "decide_listing", "H1", LISTED, upper_consent_on="2026-03-13", **CONSENT
    )
    assert "proves no subjective intent" in reason and "第十二条第二款" in reason
    assert (
        do(engine, m, "decide_not_to_list", "H1", LISTED, reason="无主观故意").state == "not_listed"
    )


def test_the_upper_level_consents_first(engine: Engine) -> None:
    m = engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=_case(engine)).matter
    m = do(engine, m, "notify", "C1", D(2026, 3, 6), served_on="2026-03-06")
    assert "upper_consent_body and upper_consent_on" in refused(
        engine, m, "decide_listing", "H1", LISTED, decision_no="X1"
    )
    late = refused(
        engine, m, "decide_listing", "H1", LISTED, upper_consent_on="2026-03-17", **CONSENT
    )
    assert "comes after the decision of 2026-03-16" in late
    on_the_day = do(
        engine, m, "decide_listing", "H1", LISTED, upper_consent_on="2026-03-16", **CONSENT
    )
    assert on_the_day.state == "listed"


def test_a_decision_needs_the_notice_first(engine: Engine) -> None:
    from zhifa.errors import RefusedError

    m = engine.open("serious_list", "C1", OPENING, at(D(2026, 3, 5)), follows=_case(engine)).matter
    with pytest.raises(RefusedError):
        do(engine, m, "decide_listing", "H1", LISTED, upper_consent_on="2026-03-13", **CONSENT)


def test_early_removal_after_one_full_year(engine: Engine) -> None:
    m = listed(engine)
    assert "from 2027-03-17, after one full year" in refused(
        engine, m, "apply_for_removal", "C1", D(2027, 3, 16), commitment_submitted=True
    )
    m = do(engine, m, "apply_for_removal", "C1", D(2027, 3, 17), commitment_submitted=True)
    conditions = {"obligations_performed": True, "harm_eliminated": True, "measures_expired": True}
    reason = refused(
        engine, m, "remove_early", "H1", D(2027, 3, 18), **{**conditions, "harm_eliminated": False}
    )
    assert reason.startswith("harm_eliminated:")
    assert (
        do(engine, m, "remove_early", "H1", D(2027, 3, 18), **conditions).state == "removed_early"
    )


def test_a_heavier_penalty_after_the_listing_bars_early_removal_whatever_is_typed(
    engine: Engine,
) -> None:
    """Read from the record: a heavier penalty decided before the listing does not count, one
    decided after it does, though every condition is typed as met."""
    from tests.test_workflow_case import CONCLUDE, notice, open_case, penalty

    m = listed(engine)
    before = decided_heavy(engine, "production_halt")  # decided 4 Mar 2026, before the listing
    walk = open_case(engine, D(2027, 3, 1))
    walk.do("conclude_investigation", "C1", D(2027, 3, 1), CONCLUDE)
    walk.do("notify", "C1", D(2027, 3, 2), notice(None, "closure", eligible=True))
    after = walk.do(
        "decide_penalty", "H1", D(2027, 3, 3), penalty(None, "closure", rights_waived=True)
    )
    m = do(engine, m, "apply_for_removal", "C1", D(2027, 3, 17), commitment_submitted=True)
    conditions = {"obligations_performed": True, "harm_eliminated": True, "measures_expired": True}
    reason = refused(engine, m, "remove_early", "H1", D(2027, 3, 18), **conditions)
    assert f"case matter {after.id} decided another heavier penalty" in reason
    assert f"case matter {before.id}" not in reason


def test_the_listing_ends_after_three_full_years(engine: Engine) -> None:
    m = listed(engine)
    assert "stays on the list through 2029-03-16" in refused(
        engine, m, "expire", "H9", D(2029, 3, 16)
    )
    assert do(engine, m, "expire", "H9", D(2029, 3, 17)).state == "expired"


def test_revoked_with_the_penalty_within_three_working_days(engine: Engine) -> None:
    """Recorded on Wednesday 30 September 2026: the National Day holiday runs 1–7 October and
    Saturday 10 October is a working day, so the third working day is 10 October."""
    m = listed(engine)
    m = do(engine, m, "penalty_revoked", "L1", D(2026, 9, 30), change="revoked")
    late = refused(engine, m, "withdraw", "C1", D(2026, 10, 11))
    assert "to 2026-10-10; 2026-10-11 is late" in late
    assert do(engine, m, "withdraw", "C1", D(2026, 10, 10)).state == "revoked"


def test_the_listing_is_in_the_file_and_decides_the_class_until_removed(
    engine: Engine, bureau: Store
) -> None:
    only_the_list = parse_credit_scheme(
        {
            "name": "list-only",
            "version": "1",
            "bands": [{"class": "A", "from": 0}, {"class": "B"}],
            "overrides": [
                {
                    "class": "D",
                    "kind": "serious_list",
                    "ended_by": "serious_list_end",
                    "months": 36,
                    "reason": "严重违法失信名单",
                }
            ],
        }
    )
    m = listed(engine)
    m = do(engine, m, "apply_for_removal", "C1", D(2027, 3, 17), commitment_submitted=True)
    conditions = {"obligations_performed": True, "harm_eliminated": True, "measures_expired": True}
    do(engine, m, "remove_early", "H1", D(2027, 3, 18), **conditions)
    now = datetime(2027, 12, 31)

    def cls(day: date) -> str:
        return entity_file(bureau, ENTITY, only_the_list, day, now).now.credit_class

    assert [cls(d) for d in (D(2026, 3, 15), LISTED, D(2027, 3, 17), D(2027, 3, 18))] == [
        "A", "D", "D", "A",
    ]  # fmt: skip
    kinds = [
        r.kind for r in entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2027, 3, 18), now).records
    ]
    assert kinds == ["penalty", "serious_list", "serious_list_end"]


def test_a_listed_entity_gets_no_credit_repair_whatever_is_typed(engine: Engine) -> None:
    """The credit repair reads the listing from the record: while listed, an early end of a
    publication is refused though not_on_serious_list is typed true; after the removal it is not
    refused for that."""
    from tests.test_workflow_credit_repair import approval

    m = listed(engine)
    data = {
        "decision_no": "西市监处罚〔2025〕12号",
        "published_on": "2025-08-31",
        "category": "general",
        "minor_only": False,
        "summary": "申请提前停止公示",
    }
    repair = engine.open("credit_repair", "C1", data, at(D(2027, 3, 17)), entity=ENTITY).matter
    stop = {"stopped_on": "2027-03-18"}
    reason = refused(engine, repair, "approve", "H1", D(2027, 3, 18), **approval(**stop))
    assert f"the entity is on the list (serious_list matter {m.id}, published" in reason
    m = do(engine, m, "apply_for_removal", "C1", D(2027, 3, 17), commitment_submitted=True)
    conditions = {"obligations_performed": True, "harm_eliminated": True, "measures_expired": True}
    do(engine, m, "remove_early", "H1", D(2027, 3, 18), **conditions)
    assert (
        do(engine, repair, "approve", "H1", D(2027, 3, 18), **approval(**stop)).state == "stopped"
    )
