"""The market-regulation violation catalogue against the 食品安全法 (2021 text), entry by entry: each
band at its edges (the goods-value threshold of 10,000 yuan, the largest and smallest fine allowed
and the yuan beyond them), the stage before a fine (warning or order to correct), the tier the
circumstances select and the suggested range of each tier, the citations, and the bureau's
no-penalty and reduced-penalty lists."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from zhifa_market import plugin

from zhifa.errors import InputError
from zhifa.rules import (
    DEFAULT_SHARES,
    TIERS,
    Facts,
    Suggestion,
    Violation,
    applicable,
    check_decision,
    suggest,
)

Y = Decimal
CATALOGUE: dict[str, Violation] = {v.code: v for v in plugin.zhifa_violations()}
IN_FORCE = date(2021, 4, 29)

# --- what the law sets, written out here independently of violations.yaml ------------------------


@dataclass(frozen=True)
class Goods:
    """Goods value under 10,000 yuan → low–high yuan; 10,000 or more → times_low–times_high x."""

    low: int
    high: int
    times_low: int
    times_high: int


@dataclass(frozen=True)
class Staged:
    """No fine (a warning or an order to correct: 0–0) until ``opens`` holds; then low–high."""

    opens: str
    low: int
    high: int


@dataclass(frozen=True)
class Fixed:
    low: int
    high: int


ART_122_124 = Goods(50_000, 100_000, 10, 20)  # 第一百二十二条第一款、第一百二十四条第一款
ART_125 = Goods(5_000, 50_000, 5, 10)  # 第一百二十五条第一款
ART_126 = Staged(
    "refused_to_correct", 5_000, 50_000
)  # 第一百二十六条第一款（警告；拒不改正的罚款）
ART_130_131 = Fixed(50_000, 200_000)  # 第一百三十条、第一百三十一条

LAW: dict[str, Goods | Staged | Fixed] = {
    "FS-122-1a": ART_122_124,
    "FS-122-1b": ART_122_124,
    "FS-122-2": Fixed(50_000, 100_000),
    **{f"FS-124-1-{i:02}": ART_122_124 for i in range(1, 10)},
    "FS-124-2": ART_122_124,
    "FS-124-3": ART_122_124,
    **{f"FS-125-1-{i:02}": ART_125 for i in range(1, 5)},
    "FS-125-2": Staged("refused_to_correct", 0, 2_000),  # 责令改正；拒不改正的，二千元以下
    **{f"FS-126-1-{i:02}": ART_126 for i in range(1, 14)},
    "FS-126-3": ART_126,
    "FS-126-4": ART_126,
    "FS-128": Staged("evidence_concealed", 100_000, 500_000),
    "FS-130-1": ART_130_131,
    "FS-130-2": ART_130_131,
    "FS-131-1": ART_130_131,
    "FS-132": Staged("refused_to_correct", 10_000, 50_000),
    "FS-133-1": Fixed(2_000, 50_000),
}
OPENING_CIRCUMSTANCES = {"refused_to_correct", "evidence_concealed"}
NO_PENALTY_LIST = {
    "FS-125-1-02",
    "FS-125-2",
    "FS-126-1-03",
    "FS-126-1-06",
    "FS-126-1-11",
    "FS-126-4",
}
REDUCED_PENALTY_LIST = {"FS-122-1a", "FS-124-1-05"}
FOLD_SPACE = re.compile(r"[\u4e00-\u9fff，。；、）] +(?!第)[\u4e00-\u9fff（]")
"""A space between two Chinese characters or after Chinese punctuation (a folded YAML line), except
the one between a law's name and its article (行政处罚法 第三十三条)."""


def codes(kind: type) -> list[str]:
    return sorted(code for code, law in LAW.items() if isinstance(law, kind))


def facts(goods_value: str | None = None, *circumstances: str) -> Facts:
    return Facts(
        goods_value=None if goods_value is None else Y(goods_value),
        circumstances=frozenset(circumstances),
    )


def assert_edges(s: Suggestion, low: Decimal, high: Decimal) -> None:
    """The legal range is low–high: both ends are accepted, a yuan beyond either is refused."""
    assert s.legal == (low, high)
    for fine in (low, high):
        refused, _ = check_decision(s, fine)
        assert refused == [], fine
    (refusal,) = check_decision(s, high + 1)[0]
    assert "outside the legal range" in refusal
    assert s.violation.code in refusal and s.violation.penalty_basis in refusal
    refused, conditions = check_decision(s, low - 1)
    if s.violation.reduced_penalty:  # below the minimum: a reduced penalty, with ground and review
        assert refused == [] and "减轻处罚" in conditions[0]
    else:
        (refusal,) = refused
        assert "outside the legal range" in refusal


def test_every_entry_is_checked_against_the_law() -> None:
    assert set(CATALOGUE) == set(LAW)
    assert len(plugin.zhifa_violations()) == len(CATALOGUE)  # no code twice


# --- bands at their edges ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", codes(Goods))
def test_goods_value_bands_at_their_edges(code: str) -> None:
    v, law = CATALOGUE[code], LAW[code]
    assert isinstance(law, Goods)
    low, high = Y(law.low), Y(law.high)
    # just under 10,000 yuan: the fixed range, its ends and the yuan beyond them
    under = suggest(v, facts("9999.99"))
    assert (under.band.threshold, under.band.below, under.band.multiple_of) == (
        "goods_value",
        Y(10000),
        None,
    )
    assert_edges(under, low, high)
    assert suggest(v, facts("0")).legal == (low, high)
    # 10,000 yuan and more: multiples of the goods value
    at = suggest(v, facts("10000"))
    assert (at.band.at_least, at.band.multiple_of) == (Y(10000), "goods_value")
    assert_edges(at, Y(law.times_low * 10000), Y(law.times_high * 10000))
    odd = suggest(v, facts("12345.67"))
    assert odd.legal == (
        (Y("12345.67") * law.times_low).quantize(Y("0.01")),
        (Y("12345.67") * law.times_high).quantize(Y("0.01")),
    )
    with pytest.raises(InputError, match="give goods_value"):
        suggest(v, facts())


def test_article_124_at_the_threshold() -> None:
    v = CATALOGUE["FS-124-1-05"]
    assert suggest(v, facts("9999.99")).legal == (Y(50000), Y(100000))
    assert suggest(v, facts("10000")).legal == (Y(100000), Y(200000))
    top = suggest(v, facts("10000"))
    assert check_decision(top, Y(200000))[0] == []
    assert check_decision(top, Y(200001))[0] != []
    assert check_decision(top, Y(100000))[0] == []
    # one yuan under: FS-124-1-05 is on the reduced-penalty list, so not refused but conditioned
    refused, conditions = check_decision(top, Y(99999))
    assert refused == [] and "legal review" in conditions[0]


def test_article_125_at_the_threshold() -> None:
    v = CATALOGUE["FS-125-1-02"]
    assert suggest(v, facts("9999.99")).legal == (Y(5000), Y(50000))
    assert suggest(v, facts("10000")).legal == (Y(50000), Y(100000))
    assert suggest(v, facts("30000")).legal == (Y(150000), Y(300000))


@pytest.mark.parametrize("code", codes(Staged))
def test_staged_bands_no_fine_until_the_opening_circumstance(code: str) -> None:
    v, law = CATALOGUE[code], LAW[code]
    assert isinstance(law, Staged)
    # the first stage (a warning, or only an order to correct): no fine is lawful
    first = suggest(v, facts())
    assert first.legal == (Y(0), Y(0)) and law.opens in first.band.unless
    assert check_decision(first, Y(0)) == ([], [])
    (refusal,) = check_decision(first, Y(1))[0]
    assert "outside the legal range 0–0 yuan" in refusal
    # the circumstance that opens the fine (a refusal to correct, concealed evidence)
    opened = suggest(v, facts(None, law.opens))
    assert law.opens in opened.band.when
    assert_edges(opened, Y(law.low), Y(law.high))
    # the goods value does not matter to these provisions
    assert suggest(v, facts("50000", law.opens)).legal == (Y(law.low), Y(law.high))


def test_article_126_warning_then_5000_to_50000() -> None:
    v = CATALOGUE["FS-126-1-03"]
    assert suggest(v, facts()).legal == (Y(0), Y(0))
    refused = suggest(v, facts(None, "refused_to_correct"))
    assert refused.legal == (Y(5000), Y(50000))
    assert check_decision(refused, Y(50000))[0] == []
    assert check_decision(refused, Y(50001))[0] != []
    assert check_decision(refused, Y(5000))[0] == []
    assert check_decision(refused, Y(4999))[0] != []


def test_article_125_second_paragraph_up_to_2000_only_after_a_refusal() -> None:
    v = CATALOGUE["FS-125-2"]
    assert suggest(v, facts("20000")).legal == (Y(0), Y(0))
    refused = suggest(v, facts("20000", "refused_to_correct"))
    assert refused.legal == (Y(0), Y(2000))
    assert check_decision(refused, Y(2000))[0] == []
    assert check_decision(refused, Y(2001))[0] != []


@pytest.mark.parametrize("code", codes(Fixed))
def test_fixed_bands_at_their_edges(code: str) -> None:
    v, law = CATALOGUE[code], LAW[code]
    assert isinstance(law, Fixed)
    assert_edges(suggest(v, facts()), Y(law.low), Y(law.high))
    assert suggest(v, facts("1000000")).legal == (Y(law.low), Y(law.high))


# --- discretion tiers ----------------------------------------------------------------------------


def opened(code: str, goods_value: str = "5000") -> Facts:
    """Facts under which the entry's fine is open (for the tier tests)."""
    law = LAW[code]
    if isinstance(law, Goods):
        return facts(goods_value)
    if isinstance(law, Staged):
        return facts(None, law.opens)
    return facts()


def with_(base: Facts, *circumstances: str) -> Facts:
    return Facts(
        goods_value=base.goods_value, circumstances=base.circumstances | set(circumstances)
    )


def shares(s: Suggestion, tier: str) -> tuple[Decimal, Decimal]:
    low, high = s.legal
    a, b = DEFAULT_SHARES[tier]
    return (
        (low + (high - low) * a).quantize(Y("0.01")),
        (low + (high - low) * b).quantize(Y("0.01")),
    )


@pytest.mark.parametrize("code", sorted(LAW))
def test_circumstances_select_the_tier(code: str) -> None:
    v = CATALOGUE[code]
    base = opened(code)
    lighter, heavier = v.tiers["lighter"].circumstances, v.tiers["heavier"].circumstances
    plain = suggest(v, base)
    assert (plain.tier.name, plain.tier_because) == ("ordinary", ())
    assert plain.suggested == shares(plain, "ordinary")
    for c in lighter:
        s = suggest(v, with_(base, c))
        assert (s.tier.name, s.tier_because) == ("lighter", (c,))
        assert s.suggested == shares(s, "lighter")
    for c in heavier:
        s = suggest(v, with_(base, c))
        assert (s.tier.name, s.tier_because) == ("heavier", (c,))
        assert s.suggested == shares(s, "heavier")
    # a heavier circumstance outweighs any lighter one
    both = suggest(v, with_(base, *lighter, next(iter(heavier))))
    assert both.tier.name == "heavier"
    # an unknown circumstance selects nothing
    assert suggest(v, with_(base, "not_a_circumstance")).tier.name == "ordinary"


LIGHTER, ORDINARY, HEAVIER = TIERS
GOODS_10X_5000 = {
    LIGHTER: ("50000", "65000"),
    ORDINARY: ("65000", "85000"),
    HEAVIER: ("85000", "100000"),
}
FIVE_TO_FIFTY_K = {
    LIGHTER: ("5000", "18500"),
    ORDINARY: ("18500", "36500"),
    HEAVIER: ("36500", "50000"),
}


def _tiers_for(code: str) -> dict[str, tuple[str, str]]:
    law = LAW[code]
    if law == ART_122_124 or code == "FS-122-2":
        return GOODS_10X_5000  # 50,000–100,000
    if law in (ART_125, ART_126):
        return FIVE_TO_FIFTY_K
    return {
        "FS-125-2": {
            LIGHTER: ("0", "600"),
            ORDINARY: ("600", "1400"),
            HEAVIER: ("1400", "2000"),
        },
        "FS-128": {
            LIGHTER: ("100000", "220000"),
            ORDINARY: ("220000", "380000"),
            HEAVIER: ("380000", "500000"),
        },
        "FS-132": {
            LIGHTER: ("10000", "22000"),
            ORDINARY: ("22000", "38000"),
            HEAVIER: ("38000", "50000"),
        },
        "FS-133-1": {
            LIGHTER: ("2000", "16400"),
            ORDINARY: ("16400", "35600"),
            HEAVIER: ("35600", "50000"),
        },
    }.get(
        code,
        {  # 第一百三十条、第一百三十一条: 50,000–200,000
            LIGHTER: ("50000", "95000"),
            ORDINARY: ("95000", "155000"),
            HEAVIER: ("155000", "200000"),
        },
    )


@pytest.mark.parametrize("code", sorted(LAW))
def test_the_suggested_range_of_each_tier(code: str) -> None:
    v = CATALOGUE[code]
    base = opened(code)
    selecting = {
        LIGHTER: next(iter(v.tiers[LIGHTER].circumstances)),
        ORDINARY: None,
        HEAVIER: next(iter(v.tiers[HEAVIER].circumstances)),
    }
    for tier, (low, high) in _tiers_for(code).items():
        circumstance = selecting[tier]
        s = suggest(v, base if circumstance is None else with_(base, circumstance))
        assert s.tier.name == tier
        assert s.suggested == (Y(low), Y(high))
        # within the tier: no condition; a yuan past its top, still lawful: a reason and a review
        assert check_decision(s, Y(high)) == ([], [])
        if Y(high) < s.legal[1]:
            refused, (condition,) = check_decision(s, Y(high) + 1)
            assert refused == [] and "第三十二条" in condition and "legal review" in condition


def test_article_124_tiers_at_10000_yuan() -> None:
    v = CATALOGUE["FS-124-1-04"]
    assert suggest(v, facts("10000", "recalled_voluntarily")).suggested == (Y(100000), Y(130000))
    assert suggest(v, facts("10000")).suggested == (Y(130000), Y(170000))
    assert suggest(v, facts("10000", "vulnerable_consumers")).suggested == (Y(170000), Y(200000))


@pytest.mark.parametrize("code", sorted(LAW))
def test_the_benchmark_is_complete_and_marked_local(code: str) -> None:
    v = CATALOGUE[code]
    for name in TIERS:
        assert v.tiers[name].share == DEFAULT_SHARES[name]  # the 30/40/30 split
        assert "地方基准" in v.tiers[name].basis
    assert len(v.tiers[LIGHTER].circumstances) >= 3
    assert len(v.tiers[HEAVIER].circumstances) >= 3
    assert not v.tiers[ORDINARY].circumstances
    assert "行政处罚法 第三十二条" in v.tiers[LIGHTER].basis
    listed = set(v.tiers[LIGHTER].circumstances) | set(v.tiers[HEAVIER].circumstances)
    # a circumstance is lighter or heavier, never both; those that open a band select no tier
    assert not set(v.tiers[LIGHTER].circumstances) & set(v.tiers[HEAVIER].circumstances)
    assert not listed & OPENING_CIRCUMSTANCES
    for circumstance in listed:
        assert re.fullmatch(r"[a-z_]+", circumstance)
    for desc in {**v.tiers[LIGHTER].circumstances, **v.tiers[HEAVIER].circumstances}.values():
        assert desc and not FOLD_SPACE.search(desc)


# --- citations and dates ----------------------------------------------------------------------------

NUMERALS = "零一二三四五六七八九"


def zh(n: int) -> str:
    """1 → 一, 12 → 十二, 103 → 一百零三, 124 → 一百二十四 (as articles are numbered)."""
    if n < 10:
        return NUMERALS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else NUMERALS[tens]) + "十" + (NUMERALS[ones] if ones else "")
    hundreds, rest = divmod(n, 100)
    head = NUMERALS[hundreds] + "百"
    if rest == 0:
        return head
    if rest < 10:
        return head + "零" + NUMERALS[rest]
    tens, ones = divmod(rest, 10)
    return head + NUMERALS[tens] + "十" + (NUMERALS[ones] if ones else "")


def test_numerals() -> None:
    assert [zh(n) for n in (1, 10, 13, 42, 103, 110, 124, 133)] == [
        "一",
        "十",
        "十三",
        "四十二",
        "一百零三",
        "一百一十",
        "一百二十四",
        "一百三十三",
    ]


@pytest.mark.parametrize("code", sorted(LAW))
def test_the_penalty_provision_is_the_one_the_code_names(code: str) -> None:
    v = CATALOGUE[code]
    match = re.fullmatch(r"FS-(\d+)(?:-(\d+)[ab]?)?(?:-(\d+))?", code)
    assert match, code
    article, paragraph, item = match.groups()
    expected = f"食品安全法 第{zh(int(article))}条"
    if paragraph:
        expected += f"第{zh(int(paragraph))}款"
    if item:
        expected += f"第（{zh(int(item))}）项"
    assert v.penalty_basis == expected
    assert re.fullmatch(r"食品安全法 第[一二三四五六七八九十百零]+条.*", v.basis)
    assert v.in_force_from == IN_FORCE and v.in_force_to is None
    assert v.measures and all(m.strip() for m in v.measures)
    assert v.department == "zhifa-market"


def test_the_entries_apply_to_conduct_from_29_april_2021() -> None:
    v = CATALOGUE["FS-124-1-05"]
    found, why = applicable([v], v.code, IN_FORCE, date(2026, 3, 2), facts("800"))
    assert found is v and "第三十七条" in why
    with pytest.raises(InputError, match="was not in force on 2021-04-28"):
        applicable([v], v.code, date(2021, 4, 28), date(2026, 3, 2), facts("800"))


# --- 免罚清单 and 减轻处罚清单 -----------------------------------------------------------------------


def test_the_no_penalty_list() -> None:
    listed = {code for code, v in CATALOGUE.items() if v.no_penalty}
    assert listed == NO_PENALTY_LIST
    for code in listed:
        text = CATALOGUE[code].no_penalty or ""
        assert "行政处罚法 第三十三条第一款" in text
        assert "改正" in text and not FOLD_SPACE.search(text)
        assert "初次违法" in text or "轻微" in text


def test_the_reduced_penalty_list() -> None:
    listed = {code for code, v in CATALOGUE.items() if v.reduced_penalty}
    assert listed == REDUCED_PENALTY_LIST
    for code in listed:
        text = CATALOGUE[code].reduced_penalty or ""
        assert "行政处罚法 第三十二条" in text and "法制审核" in text
        assert not FOLD_SPACE.search(text)
    assert not NO_PENALTY_LIST & REDUCED_PENALTY_LIST


def test_the_lists_show_in_the_suggestion() -> None:
    s = suggest(CATALOGUE["FS-126-1-03"], facts(None, "refused_to_correct"))
    shown = s.as_dict()
    assert shown["no_penalty_list"] == CATALOGUE["FS-126-1-03"].no_penalty
    assert shown["penalty_basis"] == "食品安全法 第一百二十六条第一款第（三）项"
    assert shown["tier_basis"].startswith("本局食品安全行政处罚裁量基准")
