"""Every fine of the catalogue at its edges, per entry and per target, against the numbers of
安全生产法 (2021) written out here independently of violations.yaml: the largest fine allowed is
accepted by ``check_decision`` and one yuan more refused; the smallest is accepted and, where it is
above 0, one yuan less refused. A target the provision fines only in some facts has no fine in the
others."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhifa.errors import InputError
from zhifa.rules import RESPONSIBLE, UNIT, Facts, Violation, check_decision, suggest

Y = Decimal
NC = "not_corrected"
REFUSED = "refused_to_comply"

# (codes, target, circumstances, (low, high) in yuan — None: the provision sets no fine here)
LAW: list[tuple[list[str], str, tuple[str, ...], tuple[int, int] | None]] = []


def _law(codes: list[str], *rows: tuple[str, tuple[str, ...], tuple[int, int] | None]) -> None:
    for target, when, yuan in rows:
        LAW.append((codes, target, when, yuan))


# 第九十四条: the principal person 20,000–50,000; not corrected 50,000–100,000 (and a halt)
_law(["WS-94"], (RESPONSIBLE, (), (20_000, 50_000)), (RESPONSIBLE, (NC,), (50_000, 100_000)))
_law(["WS-94"], (UNIT, (), None), (UNIT, (NC,), None))
# 第九十七条 items 1–7 and 第一百零一条 items 1–5: up to 100,000; not corrected 100,000–200,000
# and the persons responsible 20,000–50,000
for _codes in (
    [f"WS-97-{i}" for i in range(1, 8)],
    [f"WS-101-{i}" for i in range(1, 6)],
):
    _law(
        _codes,
        (UNIT, (), (0, 100_000)),
        (UNIT, (NC,), (100_000, 200_000)),
        (RESPONSIBLE, (NC,), (20_000, 50_000)),
        (RESPONSIBLE, (), None),
    )
# 第九十八条 items 1–4: 100,000–500,000, persons 20,000–50,000; not corrected 500,000–1,000,000,
# persons 50,000–100,000
_law(
    [f"WS-98-{i}" for i in range(1, 5)],
    (UNIT, (), (100_000, 500_000)),
    (UNIT, (NC,), (500_000, 1_000_000)),
    (RESPONSIBLE, (), (20_000, 50_000)),
    (RESPONSIBLE, (NC,), (50_000, 100_000)),
)
# 第九十九条 items 1–8: up to 50,000; not corrected 50,000–200,000, persons 10,000–20,000
_law(
    [f"WS-99-{i}" for i in range(1, 9)],
    (UNIT, (), (0, 50_000)),
    (UNIT, (NC,), (50_000, 200_000)),
    (RESPONSIBLE, (NC,), (10_000, 20_000)),
    (RESPONSIBLE, (), None),
)
# 第一百零二条: up to 50,000; refusing the order: the persons responsible 50,000–100,000
_law(
    ["WS-102"],
    (UNIT, (), (0, 50_000)),
    (UNIT, (REFUSED,), (0, 50_000)),
    (RESPONSIBLE, (REFUSED,), (50_000, 100_000)),
    (RESPONSIBLE, (), None),
)
# 第一百零三条第一款 and 第三款 second sentence: persons 10,000–20,000 and 50,000–100,000;
# 第一百零三条第二款: up to 50,000, persons up to 10,000; 第三款 first sentence: up to 100,000,
# persons up to 20,000
_law(["WS-103-2"], (UNIT, (), (0, 50_000)), (RESPONSIBLE, (), (0, 10_000)))
_law(["WS-103-1"], (RESPONSIBLE, (), (10_000, 20_000)))  # the unit's fine: see thresholds
_law(["WS-103-4"], (RESPONSIBLE, (), (50_000, 100_000)))
_law(["WS-103-3"], (UNIT, (), (0, 100_000)), (RESPONSIBLE, (), (0, 20_000)))
# 第一百零四条, 第一百零五条 items 1–2: up to 50,000, persons up to 10,000
_law(["WS-104", "WS-105-1", "WS-105-2"], (UNIT, (), (0, 50_000)), (RESPONSIBLE, (), (0, 10_000)))
# 第一百零八条: ordered to correct; refusing: 20,000–200,000, persons 10,000–20,000
_law(
    ["WS-108"],
    (UNIT, (REFUSED,), (20_000, 200_000)),
    (RESPONSIBLE, (REFUSED,), (10_000, 20_000)),
    (UNIT, (), None),
    (RESPONSIBLE, (), None),
)
# 第一百零九条: 50,000–100,000; not corrected 100,000–200,000; no fine on persons
_law(
    ["WS-109"],
    (UNIT, (), (50_000, 100_000)),
    (UNIT, (NC,), (100_000, 200_000)),
    (RESPONSIBLE, (), None),
)
# 第一百一十四条第一款 by the grade of the accident
_law(
    ["WS-114"],
    (UNIT, ("general_accident",), (300_000, 1_000_000)),
    (UNIT, ("larger_accident",), (1_000_000, 2_000_000)),
    (UNIT, ("major_accident",), (2_000_000, 10_000_000)),
    (UNIT, ("especially_major_accident",), (10_000_000, 20_000_000)),
    (UNIT, (), None),
    (RESPONSIBLE, ("general_accident",), None),
)

FINED = [(c, t, w, y) for codes, t, w, y in LAW for c in codes if y is not None]
UNFINED = [(c, t, w) for codes, t, w, y in LAW for c in codes if y is None]


def _id(row: tuple[object, ...]) -> str:
    code, target, when = row[:3]
    return f"{code}-{target}-{'+'.join(when) or 'plain'}"  # type: ignore[arg-type]


def refused(v: Violation, facts: Facts, target: str, fine: Decimal) -> bool:
    refusals, _conditions = check_decision(suggest(v, facts, target), fine)
    return bool(refusals)


@pytest.mark.parametrize(("code", "target", "when", "yuan"), FINED, ids=[_id(r) for r in FINED])
def test_each_range_at_its_edges(
    catalogue: dict[str, Violation],
    code: str,
    target: str,
    when: tuple[str, ...],
    yuan: tuple[int, int],
) -> None:
    v = catalogue[code]
    facts = Facts(circumstances=frozenset(when))
    low, high = Y(yuan[0]), Y(yuan[1])
    assert suggest(v, facts, target).legal == (low, high)
    assert not refused(v, facts, target, high)
    assert refused(v, facts, target, high + 1)
    assert not refused(v, facts, target, low)
    if low > 0:
        assert refused(v, facts, target, low - 1)


@pytest.mark.parametrize(("code", "target", "when"), UNFINED, ids=[_id(r) for r in UNFINED])
def test_no_fine_where_the_provision_sets_none(
    catalogue: dict[str, Violation], code: str, target: str, when: tuple[str, ...]
) -> None:
    with pytest.raises(InputError, match=f"no fine of {code}"):
        suggest(catalogue[code], Facts(circumstances=frozenset(when)), target)


def test_every_entry_and_target_is_checked_against_the_law(
    catalogue: dict[str, Violation],
) -> None:
    checked = {(c, t) for c, t, _w, _y in FINED}
    declared = {(v.code, b.target) for v in catalogue.values() for b in v.bands}
    # WS-103-1/-4 (multiples of the gains) and WS-112 (per day) are checked in
    # test_safety_thresholds.py
    special = {("WS-103-1", UNIT), ("WS-103-4", UNIT), ("WS-112", UNIT)}
    assert declared - special <= checked
    assert checked <= declared
    assert {c for c, _t in declared} == set(catalogue)
