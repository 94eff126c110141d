"""Credit-risk classification schemes: windows counted as the law counts periods, band edges,
overrides, what a 较重行政处罚 is, and a scheme's faults as one sentence each."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from zhifa.credit.records import derive, heavier
from zhifa.errors import InputError
from zhifa.rules.credit import (
    NATIONAL_SCHEME,
    CreditScheme,
    load_credit_scheme,
    parse_credit_scheme,
    window_start,
)

D = date


def _counts(scheme: CreditScheme, **given: int) -> dict[str, int]:
    out = dict.fromkeys((item.code for item in scheme.counted), 0)
    out.update(given)
    return out


# -- windows: on <= as_of <= add_months(on, months) -------------------------------------------


@pytest.mark.parametrize(
    ("on", "months", "last_day_counted"),
    [
        (D(2025, 3, 15), 12, D(2026, 3, 15)),  # the corresponding day closes the period
        (D(2025, 1, 31), 1, D(2025, 2, 28)),  # a day the month lacks: its last day
        (D(2024, 2, 29), 12, D(2025, 2, 28)),  # a leap day: 28 February next year
        (D(2023, 8, 31), 36, D(2026, 8, 31)),
    ],
)
def test_a_record_counts_to_the_corresponding_day_and_not_the_day_after(
    on: date, months: int, last_day_counted: date
) -> None:
    assert window_start(last_day_counted, months) <= on
    assert window_start(D.fromordinal(last_day_counted.toordinal() + 1), months) > on


def test_window_start_is_the_earliest_day_still_counted() -> None:
    for as_of in (D(2026, 3, 1), D(2026, 2, 28), D(2025, 12, 31), D(2024, 2, 29)):
        for months in (1, 6, 12, 36):
            start = window_start(as_of, months)
            before = D.fromordinal(start.toordinal() - 1)
            from zhifa.calendar import add_months

            assert add_months(start, months) >= as_of > add_months(before, months)


# -- bands and overrides of the national scheme ------------------------------------------------


@pytest.mark.parametrize(
    ("given", "score", "cls"),
    [
        ({}, 100, "A"),  # nothing on file: the lowest band of A exactly
        ({"complaint": 1}, 98, "B"),  # any record lowering the score leaves A
        ({"penalty": 1, "inspection_rectify": 1, "complaint": 1}, 86, "B"),
        ({"inspection_violation": 1, "complaint": 2, "inspection_rectify": 1}, 82, "C"),
        ({"heavier_penalty": 1, "complaint": 1}, 68, "C"),
        ({"heavier_penalty": 1, "inspection_rectify": 1}, 66, "C"),
        ({"heavier_penalty": 1, "complaint": 3}, 64, "D"),  # one below C
    ],
)
def test_national_bands(given: dict[str, int], score: float, cls: str) -> None:
    got = NATIONAL_SCHEME.explain(_counts(NATIONAL_SCHEME, **given))
    assert got[:2] == (score, cls)


def test_band_edges_exactly() -> None:
    scheme = parse_credit_scheme(
        {
            "name": "edges",
            "version": "1",
            "base": 0,
            "indicators": [{"code": "p", "kind": "complaint", "months": 12, "points": 1}],
            "bands": [{"class": "A", "from": 750}, {"class": "B", "from": 671}, {"class": "D"}],
        }
    )
    scores = np.array([751, 750, 749, 671, 670, 0], dtype=np.int64)
    got, classes = scheme.classify({"p": scores})
    assert list(got) == [751, 750, 749, 671, 670, 0]
    assert ["ABCD"[c] for c in classes] == ["A", "A", "B", "B", "D", "D"]


def test_a_cap_bounds_an_indicator() -> None:
    assert NATIONAL_SCHEME.explain(_counts(NATIONAL_SCHEME, complaint=5))[0] == 90
    assert NATIONAL_SCHEME.explain(_counts(NATIONAL_SCHEME, complaint=50))[0] == 90
    assert NATIONAL_SCHEME.explain(_counts(NATIONAL_SCHEME, inspection_clean=9))[0] == 106


def test_an_override_decides_whatever_the_score() -> None:
    counts = _counts(NATIONAL_SCHEME, inspection_clean=2)
    counts["override:penalty[revocation]"] = 1
    score, cls, reasons = NATIONAL_SCHEME.explain(counts)
    assert (score, cls) == (106, "D")
    assert reasons[-1]["class"] == "D" and "吊销" in reasons[-1]["label"]


def test_the_worst_override_wins() -> None:
    scheme = parse_credit_scheme(
        {
            "name": "two",
            "version": "1",
            "bands": [{"class": "A", "from": 0}, {"class": "B"}],
            "overrides": [
                {"class": "D", "kind": "transfer", "months": 36, "reason": "移送"},
                {"class": "C", "kind": "complaint", "months": 12, "reason": "投诉"},
            ],
        }
    )
    both = {"override:transfer": np.array([1, 0, 1]), "override:complaint": np.array([1, 1, 0])}
    assert ["ABCD"[c] for c in scheme.classify(both)[1]] == ["D", "C", "D"]


# -- 较重行政处罚 (Order 44 第二条第二款) --------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"penalty_kind": "fine", "fine": "20000", "_discretion": {"tier": "ordinary"}}, False),
        ({"penalty_kind": "fine", "fine": "20000", "_discretion": {"tier": "heavier"}}, True),
        ({"penalty_kind": "fine", "fine": "0", "_discretion": {"tier": "heavier"}}, False),
        ({"penalty_kind": "permit_revocation"}, True),
        ({"penalty_kind": "production_halt", "fine": "100"}, True),
        ({"penalty_kind": "warning", "fine": "3000", "_discretion": {"tier": "ordinary"}}, False),
        ({"penalty_kind": "permit_suspension"}, False),
    ],
)
def test_heavier_penalty(data: dict[str, Any], expected: bool) -> None:
    assert heavier(data) is expected
    found = derive("case", "decide_penalty", data)
    assert found is not None and ("heavier" in found.flags) is expected


def test_only_complaints_and_reports_become_complaint_records() -> None:
    assert derive("clue", "open", {"source": "inspection"}) is None
    found = derive("clue", "open", {"source": "report", "reporter": "张三 13800000000"})
    assert found is not None and found.kind == "complaint"
    assert "张三" not in str(found.details) and "张三" not in found.summary


def test_inspection_results_give_flags() -> None:
    clean = derive("inspection", "record_result", {"results": "SP-01: pass\nSP-02: pass"})
    bad = derive("inspection", "record_result", {"results": "SP-01: violation 过期\nSP-02: pass"})
    fix = derive("inspection", "record_result", {"results": "SP-01: rectify 标签\nSP-02: pass"})
    assert clean is not None and clean.flags == {"clean"}
    assert bad is not None and bad.flags == {"violation"}
    assert fix is not None and fix.flags == {"rectify"}


# -- a scheme's faults ---------------------------------------------------------------------------

GOOD: dict[str, Any] = {
    "name": "x",
    "version": "1",
    "base": 100,
    "indicators": [{"code": "c", "kind": "complaint", "months": 12, "points": -2, "cap": -10}],
    "bands": [{"class": "A", "from": 90}, {"class": "B", "from": 80}, {"class": "D"}],
}


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"indicators": [{"code": "c", "kind": "gossip", "months": 12, "points": -1}]}, "gossip"),
        (
            {"indicators": [{"code": "c", "kind": "complaint", "months": 0, "points": -1}]},
            "1 to 120",
        ),
        (
            {
                "indicators": [
                    {"code": "c", "kind": "complaint", "months": 12, "points": -1, "cap": 5}
                ]
            },
            "sign of the points",
        ),
        ({"bands": [{"class": "B", "from": 90}, {"class": "A"}]}, "best class down"),
        (
            {"bands": [{"class": "A", "from": 90}, {"class": "B", "from": 95}, {"class": "D"}]},
            "fall",
        ),
        ({"bands": [{"class": "A", "from": 90}, {"class": "B", "from": 80}]}, "the last takes"),
        ({"bands": [{"class": "A", "from": 90}, {"class": "E"}]}, "each class once"),
        ({"version": ""}, "version"),
        ({"bands": None, "name": None}, "name is missing"),
    ],
)
def test_a_bad_scheme_is_one_sentence(change: dict[str, Any], fault: str) -> None:
    raw = {**GOOD, **{k: v for k, v in change.items() if v is not None}}
    for key in [k for k, v in change.items() if v is None]:
        raw.pop(key)
    with pytest.raises(InputError) as err:
        parse_credit_scheme(raw, "scheme.yaml")
    assert fault in err.value.message
    assert "\n" not in err.value.message


def test_a_scheme_file_that_cannot_be_read_is_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="cannot read the credit scheme"):
        load_credit_scheme(bad)
    with pytest.raises(InputError, match="is a list of mappings"):
        parse_credit_scheme({**GOOD, "indicators": "complaint"})


def test_the_national_scheme_round_trips() -> None:
    assert parse_credit_scheme(NATIONAL_SCHEME.as_dict()) == NATIONAL_SCHEME
