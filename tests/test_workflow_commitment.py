"""Credit commitments (告知承诺): the procedure closed to a listed entity and to one with a false
commitment until it is repaired (read from the record), the measures a false one brings, and its
place in the file, the class and the joint measures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import counts
from tests.test_workflow_serious_list import listed, listing_engine
from zhifa.credit import entity_file
from zhifa.credit.measures import check
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.hooks.types import MatterView
from zhifa.rules.credit import NATIONAL_SCHEME
from zhifa.store import Store

D = date
PERMIT = {
    "kind": "permit",
    "item": "食品经营许可（告知承诺）",
    "content": "具备经营场所、设备和制度",
}
NOW = datetime(2030, 1, 1)


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return listing_engine(bureau)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0)


def commit(engine: Engine, day: date, **data: Any) -> MatterView:
    return engine.open("commitment", "C1", {**PERMIT, **data}, at(day), entity=ENTITY).matter


def do(
    engine: Engine, m: MatterView, trigger: str, actor: str, day: date, **data: Any
) -> MatterView:
    return engine.advance(m, trigger, actor, data, at(day)).matter


def false_commitment(engine: Engine) -> MatterView:
    m = commit(engine, D(2026, 5, 6))
    m = do(engine, m, "grant", "C1", D(2026, 5, 7), check_by="2026-08-07")
    return do(
        engine, m, "find_false", "H1", D(2026, 6, 10),
        method="random_inspection", finding="无冷藏设备", decision_revoked=True,
    )  # fmt: skip


def test_a_false_commitment_closes_the_procedure_until_repaired(
    engine: Engine, bureau: Store
) -> None:
    m = false_commitment(engine)
    before = counts(bureau)
    with pytest.raises(GuardRefused) as err:
        commit(engine, D(2026, 6, 11))
    assert f"false commitment (commitment matter {m.id}) not yet repaired" in err.value.reasons[0]
    assert counts(bureau) == before
    # the ordinary way stays open: a voluntary commitment is not the commitment procedure
    assert commit(engine, D(2026, 6, 11), kind="voluntary").state == "received"
    with pytest.raises(GuardRefused, match="rules do not allow"):
        do(
            engine,
            m,
            "repair",
            "H1",
            D(2026, 7, 1),
            measures_carried_out=False,
            integrity_commitment=True,
        )
    do(
        engine,
        m,
        "repair",
        "H1",
        D(2026, 7, 1),
        measures_carried_out=True,
        integrity_commitment=True,
    )
    assert commit(engine, D(2026, 7, 2)).state == "received"


def test_a_false_finding_needs_a_measure(engine: Engine) -> None:
    m = commit(engine, D(2026, 5, 6))
    m = do(engine, m, "grant", "C1", D(2026, 5, 7), check_by="2026-08-07")
    with pytest.raises(GuardRefused) as err:
        do(engine, m, "find_false", "H1", D(2026, 6, 10), method="data_sharing", finding="不实")
    assert (
        "set terminated, rectification_ordered, decision_revoked or penalty_case"
        in err.value.reasons[0]
    )


def test_a_listed_entity_may_not_use_the_procedure(engine: Engine) -> None:
    s = listed(engine)  # listed on 16 March 2026
    with pytest.raises(GuardRefused) as err:
        commit(engine, D(2026, 5, 6))
    assert f"serious violation list (serious_list matter {s.id})" in err.value.reasons[0]


def test_the_false_commitment_is_in_the_file_the_class_and_the_measures(
    engine: Engine, bureau: Store
) -> None:
    m = false_commitment(engine)
    found = entity_file(bureau, ENTITY, NATIONAL_SCHEME, D(2026, 6, 10), NOW)
    assert [r.kind for r in found.records][-2:] == ["commitment", "commitment_false"]
    counted = {r["code"]: r for r in found.now.reasons}
    assert counted["false_commitment"]["points"] == -15
    codes = [
        a.measure.code for a in check(bureau, ENTITY, "commitment", D(2026, 6, 10), NOW).applies
    ]
    assert codes == ["false-commitment-commitment"]
    do(
        engine,
        m,
        "repair",
        "H1",
        D(2026, 7, 1),
        measures_carried_out=True,
        integrity_commitment=True,
    )
    assert check(bureau, ENTITY, "commitment", D(2026, 7, 1), NOW).applies == []
    assert check(bureau, ENTITY, "commitment", D(2026, 6, 30), NOW).applies != []
