"""The catalogue entries and their discretion benchmark, at the edges of every band."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from zhifa_ecology import plugin

from zhifa.errors import InputError
from zhifa.rules import Band, Facts, Violation, applicable, check_decision, suggest

CATALOGUE = plugin.zhifa_violations()
BY_CODE = {v.code: v for v in CATALOGUE}
DAILY = BY_CODE["HB-59"]
REFUSED = frozenset({"refused_to_correct"})


def _daily(original: str | int, days: int, *circumstances: str) -> Facts:
    return Facts(
        original_fine=Decimal(original), days=days, circumstances=REFUSED | set(circumstances)
    )


# -- 环境保护法 第五十九条: the daily continuous penalty ------------------------------------------


def test_the_daily_penalty_is_the_original_fine_for_each_day() -> None:
    result = suggest(DAILY, _daily(100_000, 10))
    assert result.legal == (Decimal("1000000.00"), Decimal("1000000.00"))
    assert result.band.basis == "环境保护法 第五十九条第一款"
    assert result.band.per_day and result.band.multiple_of == "original_fine"


def test_the_largest_daily_penalty_is_accepted_and_one_yuan_more_refused() -> None:
    result = suggest(DAILY, _daily(100_000, 10))
    assert check_decision(result, Decimal(1_000_000)) == ([], [])
    refused, _ = check_decision(result, Decimal(1_000_001))
    assert refused and "第五十九条" in refused[0]


def test_a_daily_penalty_below_the_original_fine_times_days_is_refused() -> None:
    # the law fixes the daily amount at the original fine: the range is a single amount
    result = suggest(DAILY, _daily(100_000, 10))
    refused, _ = check_decision(result, Decimal(999_999))
    assert refused


def test_one_day_is_the_original_fine_and_cents_are_kept() -> None:
    assert suggest(DAILY, _daily(100_000, 1)).legal == (Decimal(100_000), Decimal(100_000))
    assert suggest(DAILY, _daily("12345.67", 3)).legal == (
        Decimal("37037.01"),
        Decimal("37037.01"),
    )


def test_no_day_after_the_order_means_no_daily_penalty() -> None:
    with pytest.raises(InputError, match="HB-59"):
        suggest(DAILY, _daily(100_000, 0))


def test_without_a_refusal_to_correct_there_is_no_daily_penalty() -> None:
    facts = Facts(original_fine=Decimal(100_000), days=10)
    with pytest.raises(InputError, match="no fine of HB-59"):
        suggest(DAILY, facts)


def test_without_the_original_fine_there_is_nothing_to_multiply() -> None:
    facts = Facts(days=10, circumstances=REFUSED)
    with pytest.raises(InputError, match="original_fine"):
        suggest(DAILY, facts)


def test_the_daily_penalty_is_for_the_unit_only() -> None:
    with pytest.raises(InputError, match="for the responsible person"):
        suggest(DAILY, _daily(100_000, 10), target="responsible_person")


# -- tiers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("circumstances", "tier", "because"),
    [
        ((), "ordinary", ()),
        (("partial_correction",), "lighter", ("partial_correction",)),
        (("correction_plan_filed",), "lighter", ("correction_plan_filed",)),
        (("evaded_supervision",), "heavier", ("evaded_supervision",)),
        (("obstructed_reinspection",), "heavier", ("obstructed_reinspection",)),
        (("sensitive_area",), "heavier", ("sensitive_area",)),
        (("repeat_refusal",), "heavier", ("repeat_refusal",)),
        # a heavier circumstance outweighs a lighter one
        (("partial_correction", "sensitive_area"), "heavier", ("sensitive_area",)),
        # a circumstance the benchmark does not list selects nothing
        (("first_violation",), "ordinary", ()),
    ],
)
def test_the_circumstances_select_the_tier(
    circumstances: tuple[str, ...], tier: str, because: tuple[str, ...]
) -> None:
    result = suggest(DAILY, _daily(100_000, 10, *circumstances))
    assert result.tier.name == tier
    assert result.tier_because == because
    # whatever the tier, the amount is the one the law fixes
    assert result.suggested == result.legal == (Decimal(1_000_000), Decimal(1_000_000))
    assert check_decision(result, Decimal(1_000_000)) == ([], [])


def test_every_entry_has_the_three_tiers_with_the_default_shares() -> None:
    for v in (v for v in CATALOGUE if v.bands):  # entries with measures only have no fine to tier
        assert [t.share for t in v.tiers.values()] == [
            (Decimal(0), Decimal("0.3")),
            (Decimal("0.3"), Decimal("0.7")),
            (Decimal("0.7"), Decimal(1)),
        ], v.code
        assert v.tiers["lighter"].circumstances and v.tiers["heavier"].circumstances, v.code


# -- every band at its edges ---------------------------------------------------------------------

BANDS = [(v, i, b) for v in CATALOGUE for i, b in enumerate(v.bands)]
BASE = Decimal(100_000)
DAYS = 7


def _facts_for(band: Band) -> Facts:
    """Facts that this band, and only the facts it reads, applies to."""
    amounts: dict[str, Decimal] = {}
    if band.multiple_of:
        amounts[band.multiple_of] = BASE
    if band.threshold:
        if band.at_least is not None:
            amounts[band.threshold] = band.at_least
        elif band.below is not None:
            amounts[band.threshold] = band.below - 1
        else:
            amounts.setdefault(band.threshold, BASE)
    return Facts(
        goods_value=amounts.get("goods_value"),
        illegal_gains=amounts.get("illegal_gains"),
        original_fine=amounts.get("original_fine"),
        days=DAYS if band.per_day else 0,
        circumstances=band.when,
    )


@pytest.mark.parametrize(
    ("violation", "index", "band"), BANDS, ids=[f"{v.code}-band{i}" for v, i, _ in BANDS]
)
def test_every_band_at_its_edges(violation: Violation, index: int, band: Band) -> None:
    facts = _facts_for(band)
    result = suggest(violation, facts, band.target)
    assert result.band is band, f"{violation.code} band {index} is shadowed by an earlier band"
    low, high = result.legal
    assert (low, high) == band.yuan(facts)
    # the largest allowed fine is accepted, one yuan more is refused
    assert check_decision(result, high)[0] == []
    assert check_decision(result, high + 1)[0]
    # the smallest allowed fine is accepted, one yuan less is refused
    assert check_decision(result, low)[0] == []
    if low >= 1:
        assert check_decision(result, low - 1)[0]
    for fact in band.when:
        without = Facts(
            facts.goods_value,
            facts.illegal_gains,
            facts.days,
            facts.circumstances - {fact},
            facts.original_fine,
        )
        with pytest.raises(InputError):
            suggest(violation, without, band.target)


# -- in force from 2015-01-01 (环境保护法 第七十条) --------------------------------------------


def test_every_entry_is_in_force_from_the_day_the_law_took_effect() -> None:
    for v in CATALOGUE:
        assert v.in_force_from == date(2015, 1, 1), v.code
        assert v.in_force_to is None, v.code


def test_conduct_before_the_revised_law_took_effect_cannot_rest_on_it() -> None:
    facts = _daily(100_000, 10)
    with pytest.raises(InputError, match="not in force"):
        applicable(CATALOGUE, "HB-59", date(2014, 12, 31), date(2015, 3, 1), facts)
    entry, why = applicable(CATALOGUE, "HB-59", date(2015, 1, 1), date(2015, 3, 1), facts)
    assert entry is DAILY and "第三十七条" in why


@pytest.mark.parametrize("code", ["HB-60", "HB-61", "HB-62", "HB-63"])
def test_measures_only_entries_say_there_is_no_fine_to_measure(code: str) -> None:
    (v,) = [v for v in CATALOGUE if v.code == code]
    assert not v.bands and v.measures
    assert v.penalty_basis == f"环境保护法 第六十{'零一二三'[int(code[-1])]}条".replace(
        "六十零", "六十"
    )
    with pytest.raises(InputError, match="sets no fine, only measures"):
        suggest(v, Facts())
