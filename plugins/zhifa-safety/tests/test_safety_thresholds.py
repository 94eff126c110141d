"""The facts that switch a provision between its fines: 第一百零三条's illegal-gains threshold,
逾期未改正 (not_corrected), 拒不执行 (refused_to_comply), the daily penalty of 第一百一十二条 and
the grades of accident of 第一百一十四条."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhifa.errors import InputError
from zhifa.rules import RESPONSIBLE, UNIT, Facts, Violation, check_decision, suggest

Y = Decimal


def refusals(v: Violation, facts: Facts, fine: str, target: str = UNIT) -> list[str]:
    return check_decision(suggest(v, facts, target), Y(fine))[0]


@pytest.mark.parametrize("code", ["WS-103-1", "WS-103-4"])
def test_illegal_gains_threshold_at_100000(catalogue: dict[str, Violation], code: str) -> None:
    v = catalogue[code]
    under = Facts(illegal_gains=Y("99999.99"))
    at = Facts(illegal_gains=Y(100_000))
    # under 100,000 of gains: 100,000–200,000 yuan
    assert suggest(v, under).legal == (Y(100_000), Y(200_000))
    assert suggest(v, under).band.multiple_of is None
    assert not refusals(v, under, "200000") and refusals(v, under, "200001")
    assert not refusals(v, under, "100000") and refusals(v, under, "99999")
    # 100,000 or more: 2–5 times the gains
    assert suggest(v, at).legal == (Y(200_000), Y(500_000))
    assert suggest(v, at).band.multiple_of == "illegal_gains"
    assert not refusals(v, at, "500000") and refusals(v, at, "500001")
    assert not refusals(v, at, "200000") and refusals(v, at, "199999")
    large = Facts(illegal_gains=Y("1234567.89"))
    assert suggest(v, large).legal == (Y("2469135.78"), Y("6172839.45"))


@pytest.mark.parametrize("code", ["WS-103-1", "WS-103-4"])
def test_no_illegal_gains_is_given_as_zero(catalogue: dict[str, Violation], code: str) -> None:
    v = catalogue[code]
    assert suggest(v, Facts(illegal_gains=Y(0))).legal == (Y(100_000), Y(200_000))
    with pytest.raises(InputError, match="give illegal_gains"):
        suggest(v, Facts())


def test_art_103_persons_responsible_regardless_of_the_gains(
    catalogue: dict[str, Violation],
) -> None:
    for gains in ("0", "99999.99", "100000", "5000000"):
        facts = Facts(illegal_gains=Y(gains))
        assert suggest(catalogue["WS-103-1"], facts, RESPONSIBLE).legal == (Y(10_000), Y(20_000))
        assert suggest(catalogue["WS-103-4"], facts, RESPONSIBLE).legal == (Y(50_000), Y(100_000))
        assert refusals(catalogue["WS-103-1"], facts, "20001", RESPONSIBLE)
        assert refusals(catalogue["WS-103-1"], facts, "9999", RESPONSIBLE)
        assert not refusals(catalogue["WS-103-4"], facts, "100000", RESPONSIBLE)
        assert refusals(catalogue["WS-103-4"], facts, "49999", RESPONSIBLE)


def test_not_corrected_switches_the_band(catalogue: dict[str, Violation]) -> None:
    v = catalogue["WS-97-3"]
    plain, late = Facts(), Facts(circumstances=frozenset({"not_corrected"}))
    assert refusals(v, plain, "150000")  # above the 100,000 of an in-time case
    assert not refusals(v, late, "150000")
    assert refusals(v, late, "99999")  # below the 100,000 floor once the deadline passed
    assert not refusals(v, plain, "100000") and not refusals(v, late, "100000")
    assert suggest(v, late).band.when == frozenset({"not_corrected"})
    assert suggest(v, plain).band.unless == frozenset({"not_corrected"})
    # the persons responsible are fined only once the deadline passed
    with pytest.raises(InputError):
        suggest(v, plain, RESPONSIBLE)
    assert suggest(v, late, RESPONSIBLE).legal == (Y(20_000), Y(50_000))


def test_not_corrected_under_art_98_raises_both_targets(catalogue: dict[str, Violation]) -> None:
    v = catalogue["WS-98-4"]
    late = Facts(circumstances=frozenset({"not_corrected"}))
    assert suggest(v, Facts()).legal == (Y(100_000), Y(500_000))
    assert suggest(v, late).legal == (Y(500_000), Y(1_000_000))
    assert suggest(v, Facts(), RESPONSIBLE).legal == (Y(20_000), Y(50_000))
    assert suggest(v, late, RESPONSIBLE).legal == (Y(50_000), Y(100_000))


def test_art_102_refusal_adds_the_persons_fine_only(catalogue: dict[str, Violation]) -> None:
    v = catalogue["WS-102"]
    refused = Facts(circumstances=frozenset({"refused_to_comply"}))
    assert suggest(v, refused).legal == suggest(v, Facts()).legal == (Y(0), Y(50_000))
    assert suggest(v, refused, RESPONSIBLE).legal == (Y(50_000), Y(100_000))
    assert any("停产停业整顿" in m for m in v.measures)


def test_art_108_fines_only_a_refusal_to_correct(catalogue: dict[str, Violation]) -> None:
    v = catalogue["WS-108"]
    with pytest.raises(InputError, match="no fine of WS-108"):
        suggest(v, Facts())
    refused = Facts(circumstances=frozenset({"refused_to_comply"}))
    assert suggest(v, refused).legal == (Y(20_000), Y(200_000))
    assert refusals(v, refused, "19999") and refusals(v, refused, "200001")


def test_art_112_daily_penalty(catalogue: dict[str, Violation]) -> None:
    v = catalogue["WS-112"]
    facts = Facts(original_fine=Y(50_000), days=3, circumstances=frozenset({"refused_to_comply"}))
    assert suggest(v, facts).legal == (Y(150_000), Y(150_000))
    assert not refusals(v, facts, "150000")
    assert refusals(v, facts, "150001") and refusals(v, facts, "149999")
    for missing in (
        Facts(original_fine=Y(50_000), days=0, circumstances=facts.circumstances),
        Facts(days=3, circumstances=facts.circumstances),
        Facts(original_fine=Y(50_000), days=3),
    ):
        with pytest.raises(InputError):
            suggest(v, missing)


def test_art_114_band_cites_the_item_of_the_accident_grade(
    catalogue: dict[str, Violation],
) -> None:
    v = catalogue["WS-114"]
    s = suggest(v, Facts(circumstances=frozenset({"larger_accident"})))
    assert s.band.basis == "安全生产法 第一百一十四条第一款第（二）项"
    assert s.as_dict()["penalty_basis"] == s.band.basis
