"""Objections to a credit record (异议) and the repair of a dishonesty record under the NDRC
regime by date (信用信息修复): who may, when, what they change in the file, the classes and the
joint measures, and the attacker's side (another entity's record, another department, the
same record twice, an imported record, a repair after a revoked one)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ENTITY
from tests.test_credit_file import decided_heavy
from tests.test_workflow_serious_list import D, at, do, listing_engine, refused
from zhifa.credit import entity_file
from zhifa.credit.measures import check
from zhifa.credit.records import sync
from zhifa.engine import Engine
from zhifa.errors import GuardRefused, InputError
from zhifa.hooks.types import MatterView
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.rules.repair import NATIONAL_REGIMES, parse_regimes, window
from zhifa.store import Store
from zhifa.store.tables import CreditRecord, Entity

NOW = datetime(2030, 1, 1)
PENALTY_DAY = D(2026, 3, 4)  # the heavier penalty of decided_heavy


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return listing_engine(bureau)


def _penalty_record(engine: Engine, bureau: Store) -> int:
    decided_heavy(engine, "production_restriction")
    with bureau.write() as s:
        sync(s, NOW)
        found = s.scalar(sa.select(CreditRecord.id).where(CreditRecord.kind == "penalty"))
    assert found is not None
    return int(found)


def _object(engine: Engine, record: int, day: date, **extra: Any) -> MatterView:
    data = {"record": record, "grounds": "处罚对象错误，非本企业", "asks": "remove", **extra}
    return engine.open("credit_objection", "C1", data, at(day), entity=ENTITY).matter


@contextlib.contextmanager
def _refused(text: str) -> Iterator[None]:
    """The step is refused with ``text`` among its reasons."""
    with pytest.raises(GuardRefused) as err:
        yield
    assert text in " ".join(err.value.reasons), err.value.reasons


def _codes(explained: Any) -> set[str]:
    return {str(r["code"]) for r in explained.reasons}


def _status(bureau: Store, record: int) -> str:
    file = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2027, 1, 1), NOW)
    return next(r.status for r in file.records if r.id == record)


# -- objections ------------------------------------------------------------------------------


def test_an_upheld_objection_corrects_the_record_everywhere(engine: Engine, bureau: Store) -> None:
    record = _penalty_record(engine, bureau)
    before = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 6, 1), NOW).now
    assert "heavier_penalty" in _codes(before)
    assert [
        a.measure.code
        for a in check(bureau, ENTITY, "government_procurement", D(2026, 6, 1), NOW).applies
    ] == ["procurement-major-violation"]
    m = _object(engine, record, D(2026, 5, 6))
    assert _status(bureau, record) == "disputed"
    # while it runs the record still counts: a dispute is not a correction
    assert check(bureau, ENTITY, "government_procurement", D(2026, 6, 1), NOW).applies
    do(
        engine,
        m,
        "uphold",
        "H1",
        D(2026, 5, 20),
        finding="处罚对象登记错误",
        correction="删除该记录",
    )
    assert _status(bureau, record) == "corrected"
    assert check(bureau, ENTITY, "government_procurement", D(2026, 6, 1), NOW).applies == []
    after = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 6, 1), NOW).now
    assert "heavier_penalty" not in _codes(after)
    assert after.score > before.score
    # as of a day before the upholding, the record counted then
    assert check(bureau, ENTITY, "government_procurement", D(2026, 5, 19), NOW).applies


def test_a_rejected_objection_confirms_the_record(engine: Engine, bureau: Store) -> None:
    record = _penalty_record(engine, bureau)
    m = _object(engine, record, D(2026, 5, 6))
    do(engine, m, "reject", "H1", D(2026, 5, 20), finding="核实无误")
    assert _status(bureau, record) == "confirmed"
    assert check(bureau, ENTITY, "government_procurement", D(2026, 6, 1), NOW).applies
    # the entity may object again with new grounds; the latest objection decides the status
    _object(engine, record, D(2026, 6, 2))
    assert _status(bureau, record) == "disputed"


def test_the_verification_period_is_15_working_days_across_a_holiday(
    engine: Engine, bureau: Store
) -> None:
    """Received Thursday 24 Sep 2026; National Day and Mid-Autumn (1–8 Oct) are off and
    Saturday 10 Oct is a make-up working day: the 15th working day is 22 Oct, the 23rd is late
    without a reason."""
    record = _penalty_record(engine, bureau)
    m = _object(engine, record, D(2026, 9, 24))
    reason = refused(engine, m, "uphold", "H1", D(2026, 10, 23), finding="x", correction="y")
    assert "to 2026-10-22; 2026-10-23 is late" in reason and "delay_reason" in reason
    late = {"finding": "x", "correction": "y", "delay_reason": "补充材料"}
    do(engine, m, "uphold", "H1", D(2026, 10, 23), **late)
    m2 = _object(engine, _penalty_record_again(engine, bureau), D(2026, 9, 24))
    do(engine, m2, "reject", "H1", D(2026, 10, 22), finding="核实无误")


def _penalty_record_again(engine: Engine, bureau: Store) -> int:
    decided_heavy(engine, "production_restriction")
    with bureau.write() as s:
        sync(s, NOW)
        return int(
            s.scalar(sa.select(sa.func.max(CreditRecord.id)).where(CreditRecord.kind == "penalty"))
            or 0
        )


def test_what_cannot_be_disputed(engine: Engine, bureau: Store, tmp_path: Path) -> None:
    record = _penalty_record(engine, bureau)
    with bureau.write() as s:
        other = Entity(
            uscc="91330100MA2H0000X1",
            name="别家公司",
            kind="企业",
            region_code="330106",
            industry="餐饮",
        )
        s.add(other)
    with _refused("not in this entity's credit file"):
        engine.open(
            "credit_objection",
            "C1",
            {"record": record, "grounds": "x", "asks": "correct"},
            at(D(2026, 5, 6)),
            entity="91330100MA2H0000X1",
        )
    with _refused("not in this entity's credit file"):
        _object(engine, 999_999, D(2026, 5, 6))
    m = _object(engine, record, D(2026, 5, 6))
    with _refused(f"disputed already in matter {m.id}"):
        _object(engine, record, D(2026, 5, 7))
    with bureau.write() as s:
        sync(s, NOW)
        objection = s.scalar(sa.select(CreditRecord.id).where(CreditRecord.kind == "objection"))
    with _refused("is an objection or a repair"):
        _object(engine, int(objection or 0), D(2026, 5, 7))
    do(engine, m, "uphold", "H1", D(2026, 5, 8), finding="x", correction="y")
    with _refused("was corrected on the objection"):
        _object(engine, record, D(2026, 5, 9))
    from zhifa.credit.importing import import_external

    file = tmp_path / "r.csv"
    file.write_text(f"uscc,on,reference,summary\n{ENTITY},2026-01-05,FY-1,失信被执行人\n", "utf-8")
    import_external(bureau, file, "杭州市中级人民法院", NOW)
    with bureau.read() as s:
        imported = s.scalar(sa.select(CreditRecord.id).where(CreditRecord.kind == "external"))
    with _refused("imported from 杭州市中级人民法院"):
        _object(engine, int(imported or 0), D(2026, 5, 9))


# -- the NDRC regimes by date ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("found", "severity", "applied", "first", "last", "regime"),
    [
        # Order 58: one rule, 3 months to 3 years, until 31 March 2026
        (D(2026, 3, 31), "general", D(2026, 7, 1), D(2026, 7, 1), D(2029, 3, 31), "ndrc-order-58"),
        # the 2026 measure from 1 April 2026: general 3 months to 1 year
        (D(2026, 4, 1), "general", D(2026, 7, 2), D(2026, 7, 2), D(2027, 4, 1), "ndrc-2026"),
        (D(2026, 4, 1), "serious", D(2027, 4, 2), D(2027, 4, 2), D(2029, 4, 1), "ndrc-2026"),
        (D(2026, 4, 1), "minor", D(2026, 4, 1), D(2026, 4, 1), D(2026, 7, 1), "ndrc-2026"),
        # 31 August + 3 months: 30 November is the last day, 1 December the first eligible
        (D(2026, 8, 31), "general", D(2026, 12, 1), D(2026, 12, 1), D(2027, 8, 31), "ndrc-2026"),
    ],
)
def test_the_regime_by_finding_date(
    found: date, severity: str, applied: date, first: date, last: date, regime: str
) -> None:
    w = window(found, severity, applied)
    assert (w.first_day, w.last_published, w.regime.name) == (first, last, regime)


def test_the_transitional_rule_is_a_setting() -> None:
    """A serious record found on 2026-03-20 (Order 58: from 2026-06-21) applied for on
    2026-07-01: under the 2026 measure's year it could not be; 'favourable' keeps Order 58."""
    assert window(D(2026, 3, 20), "serious", D(2026, 7, 1)).first_day == D(2026, 6, 21)
    by_application = window(D(2026, 3, 20), "serious", D(2026, 7, 1), "application_date")
    assert (by_application.regime.name, by_application.first_day) == ("ndrc-2026", D(2027, 3, 21))
    favourable = window(D(2026, 3, 20), "serious", D(2026, 7, 1), "favourable")
    assert favourable.regime.name == "ndrc-order-58"
    with pytest.raises(InputError, match="no repair regime was in force on 2023-04-30"):
        window(D(2023, 4, 30), "general", D(2023, 9, 1))
    with pytest.raises(InputError, match="transition is one of"):
        window(D(2026, 4, 1), "general", D(2026, 9, 1), "whichever")


def test_regimes_must_not_overlap() -> None:
    raw = [r.as_dict() for r in NATIONAL_REGIMES]
    raw[0]["to"] = "2026-04-01"
    with pytest.raises(InputError, match="before ndrc-order-58 ends"):
        parse_regimes(raw)
    raw = [r.as_dict() for r in NATIONAL_REGIMES]
    raw[1]["periods"]["general"] = {"min_months": 13, "max_months": 12}
    with pytest.raises(InputError, match="min_months <= max_months"):
        parse_regimes(raw)


# -- the repair workflow ----------------------------------------------------------------------

REPAIR = {
    "severity": "general",
    "corrected": True,
    "obligations_performed": True,
    "public_commitment": True,
    "summary": "已改正并履行处罚决定",
}


def _apply(engine: Engine, record: int, day: date, **change: Any) -> MatterView:
    """An application received by C1, or from 2028 by H9 (C1's certificate ends in 2027)."""
    data = {**REPAIR, "record": record, **change}
    actor = "C1" if day.year < 2028 else "H9"
    return engine.open("record_repair", actor, data, at(day), entity=ENTITY).matter


def test_repair_at_the_edges_of_its_period(engine: Engine, bureau: Store) -> None:
    """The penalty of 4 March 2026 falls under Order 58 (3 months to 3 years): 4 June is the
    last day of the minimum, 5 June the first day to apply; after 4 March 2029 nothing is left."""
    record = _penalty_record(engine, bureau)
    with _refused("from 2026-06-05, not on 2026-06-04"):
        _apply(engine, record, D(2026, 6, 4))
    with _refused("stopped of itself after 2029-03-04"):
        _apply(engine, record, D(2029, 3, 5))
    m = _apply(engine, record, D(2026, 6, 5))
    assert _status(bureau, record) == ""
    assert check(bureau, ENTITY, "government_procurement", D(2026, 7, 1), NOW).applies
    do(engine, m, "approve", "H1", D(2026, 6, 10))
    assert _status(bureau, record) == "repaired"
    # the measures are lifted; the class still counts the fact
    assert check(bureau, ENTITY, "government_procurement", D(2026, 7, 1), NOW).applies == []
    cls = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 7, 1), NOW).now
    assert "heavier_penalty" in _codes(cls)
    with _refused(f"repaired or being repaired in matter {m.id}"):
        _apply(engine, record, D(2026, 6, 11))


def test_every_condition_is_named(engine: Engine, bureau: Store) -> None:
    record = _penalty_record(engine, bureau)
    with pytest.raises(GuardRefused) as err:
        _apply(engine, record, D(2026, 7, 1), corrected=False, public_commitment=False)
    text = " ".join(err.value.reasons)
    assert "the violation corrected (corrected is false" in text
    assert "a public credit commitment made (public_commitment is false" in text
    assert "obligations_performed" not in text


def test_a_revoked_repair_restores_the_measures_and_bars_three_years(
    engine: Engine, bureau: Store
) -> None:
    record = _penalty_record(engine, bureau)
    m = _apply(engine, record, D(2026, 6, 5))
    m = do(engine, m, "approve", "H1", D(2026, 6, 10))
    do(engine, m, "revoke", "H1", D(2026, 8, 3), finding="提交的履行证明系伪造")
    assert _status(bureau, record) == ""
    assert check(bureau, ENTITY, "government_procurement", D(2026, 9, 1), NOW).applies
    # lifted between the repair and its revocation, as of those days
    assert check(bureau, ENTITY, "government_procurement", D(2026, 7, 1), NOW).applies == []
    second = _penalty_record_again(engine, bureau)  # another penalty, 4 March 2026 too
    with _refused("from 2029-08-04"):
        _apply(engine, second, D(2029, 3, 3))
    # 3 August 2029 is the last barred day; the penalty's own maximum has passed by then
    with _refused("revoked for deceit on 2026-08-03"):
        _apply(engine, record, D(2029, 3, 3))


def test_other_records_are_repaired_elsewhere(engine: Engine, bureau: Store) -> None:
    from tests.test_workflow_serious_list import listed

    listed(engine)
    with bureau.write() as s:
        sync(s, NOW)
        listing = s.scalar(sa.select(CreditRecord.id).where(CreditRecord.kind == "serious_list"))
    with _refused("removed early in its serious_list matter"):
        _apply(engine, int(listing or 0), D(2027, 6, 1))


def test_whoever_made_the_record_decides(engine: Engine, bureau: Store) -> None:
    """谁认定、谁修复: the head of another department cannot take the objection or the repair of
    a record this department made."""
    record = _penalty_record(engine, bureau)
    data = {"record": record, "grounds": "x", "asks": "correct"}
    with _refused("was made by department HZXH; open this matter there"):
        engine.open("credit_objection", "X1", data, at(D(2026, 7, 1)), entity=ENTITY)
    with _refused("was made by department HZXH; open this matter there"):
        engine.open(
            "record_repair", "X1", {**REPAIR, "record": record}, at(D(2026, 7, 1)), entity=ENTITY
        )
