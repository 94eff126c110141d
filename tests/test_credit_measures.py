"""Joint measures: which apply to an entity for an activity on a day, and why, at the edges of
their windows; a listing restricts until its removal; faults of a measures file in one sentence."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from tests.conftest import ENTITY
from tests.helpers import run, run_json
from tests.test_workflow_serious_list import D, do, listed, listing_engine
from zhifa.credit.measures import check
from zhifa.engine import Engine
from zhifa.errors import InputError
from zhifa.rules.measures import NATIONAL_MEASURES, parse_measures
from zhifa.store import Store

NOW = datetime(2030, 1, 1)


@pytest.fixture
def engine(bureau: Store) -> Engine:
    return listing_engine(bureau)


def _codes(store: Store, activity: str, on: date) -> list[str]:
    return [a.measure.code for a in check(store, ENTITY, activity, on, NOW).applies]


def test_a_listing_restricts_procurement_until_its_removal(engine: Engine, bureau: Store) -> None:
    m = listed(engine)  # listed on 16 March 2026 after a restricted-production penalty of 4 March
    assert _codes(bureau, "government_procurement", D(2026, 3, 3)) == []
    assert _codes(bureau, "government_procurement", D(2026, 3, 4)) == [
        "procurement-major-violation"
    ]
    assert _codes(bureau, "government_procurement", D(2026, 3, 16)) == [
        "serious-list-procurement",
        "procurement-major-violation",
    ]
    assert _codes(bureau, "commitment", D(2026, 3, 16)) == ["serious-list-commitment"]
    m = do(engine, m, "apply_for_removal", "C1", D(2027, 3, 17), commitment_submitted=True)
    conditions = {"obligations_performed": True, "harm_eliminated": True, "measures_expired": True}
    do(engine, m, "remove_early", "H1", D(2027, 3, 18), **conditions)
    assert _codes(bureau, "commitment", D(2027, 3, 17)) == ["serious-list-commitment"]
    assert _codes(bureau, "commitment", D(2027, 3, 18)) == []
    # the heavier penalty still counts for procurement through its three years, and not after
    assert _codes(bureau, "government_procurement", D(2029, 3, 4)) == [
        "procurement-major-violation"
    ]
    assert _codes(bureau, "government_procurement", D(2029, 3, 5)) == []


def test_the_answer_names_the_records_and_the_basis(
    sqlite_bureau: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    listed(listing_engine(sqlite_bureau))
    url = sqlite_bureau.url
    shown = run_json(
        capsys, "credit", "check", ENTITY, "--for", "honours", "--on", "2026-06-01", "--db", url
    )
    assert shown["restricted"] is True
    (measure,) = shown["measures"]
    assert measure["basis"] == "企业信息公示暂行条例 第十八条"
    assert [r["kind"] for r in measure["because"]] == ["serious_list"]
    code, out, _ = run(capsys, "credit", "check", ENTITY, "--for", "food_permit", "--db", url)
    assert code == 0 and "no joint measure restricts" in out
    code, _, err = run(capsys, "credit", "check", ENTITY, "--for", "parking", "--db", url)
    assert code == 2 and "is not an activity measures concern" in err


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"category": 4}, "category is 1, 2 or 3"),
        ({"when": {"kind": "rumour", "months": 12}}, "'rumour' are not in the credit file"),
        ({"activities": ["parking"]}, "not parking"),
        ({"when": {"kind": "penalty", "months": 0}}, "1 to 1200"),
        ({"content": None}, "content is missing"),
    ],
)
def test_a_bad_measure_is_one_sentence(change: dict[str, Any], fault: str) -> None:
    entry = {**NATIONAL_MEASURES[0].as_dict(), **change}
    entry = {k: v for k, v in entry.items() if v is not None}
    with pytest.raises(InputError) as err:
        parse_measures([entry], "measures.yaml")
    assert fault in err.value.message and "measures.yaml[0]" in err.value.message


def test_a_measure_declared_twice_is_refused() -> None:
    entry = NATIONAL_MEASURES[0].as_dict()
    with pytest.raises(InputError, match="declared twice"):
        parse_measures([entry, entry])
