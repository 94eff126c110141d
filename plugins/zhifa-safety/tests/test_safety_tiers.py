"""The bureau's discretion tiers: zhifa's default shares (30% / 40% / 30%), the circumstances that
select them, and a fine outside the selected tier needing a reason rather than being refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhifa.rules import DEFAULT_SHARES, RESPONSIBLE, Facts, Violation, check_decision, suggest

Y = Decimal
BAND_FACTS = {
    "not_corrected",
    "refused_to_comply",
    "general_accident",
    "larger_accident",
    "major_accident",
    "especially_major_accident",
}


def facts(*circumstances: str) -> Facts:
    return Facts(circumstances=frozenset({"not_corrected", *circumstances}))


def test_tiers_split_the_not_corrected_range_of_art_97(catalogue: dict[str, Violation]) -> None:
    v = catalogue["WS-97-1"]
    assert suggest(v, facts()).tier.name == "ordinary"
    assert suggest(v, facts()).suggested == (Y(130_000), Y(170_000))
    lighter = suggest(v, facts("corrected_promptly"))
    assert (lighter.tier.name, lighter.tier_because) == ("lighter", ("corrected_promptly",))
    assert lighter.suggested == (Y(100_000), Y(130_000))
    heavier = suggest(v, facts("high_risk_unit", "repeat_offence"))
    assert heavier.tier_because == ("high_risk_unit", "repeat_offence")
    assert heavier.suggested == (Y(170_000), Y(200_000))
    # the persons responsible: the same tier on their own range
    persons = suggest(v, facts("repeat_offence"), RESPONSIBLE)
    assert persons.suggested == (Y(41_000), Y(50_000))


def test_heavier_circumstance_outweighs_a_lighter_one(catalogue: dict[str, Violation]) -> None:
    s = suggest(
        catalogue["WS-99-5"], Facts(circumstances=frozenset({"few_persons", "many_persons"}))
    )
    assert (s.tier.name, s.tier_because) == ("heavier", ("many_persons",))
    assert s.suggested == (Y(35_000), Y(50_000))


def test_a_fine_outside_the_tier_needs_a_reason(catalogue: dict[str, Violation]) -> None:
    s = suggest(catalogue["WS-109"], Facts(circumstances=frozenset({"lapsed_briefly"})))
    assert s.suggested == (Y(50_000), Y(65_000))
    assert check_decision(s, Y(65_000)) == ([], [])
    refusals, conditions = check_decision(s, Y(90_000))
    assert not refusals and "行政处罚法 第三十二条" in conditions[0]


@pytest.mark.parametrize(
    ("code", "circumstance", "tier"),
    [
        ("WS-94", "several_duties", "heavier"),
        ("WS-97-4", "falsified_records", "heavier"),
        ("WS-97-6", "plan_without_drill", "lighter"),
        ("WS-98-1", "not_started", "lighter"),
        ("WS-99-4", "data_destroyed", "heavier"),
        ("WS-101-2", "first_grade_hazard", "heavier"),
        ("WS-102", "major_hidden_danger", "heavier"),
        ("WS-105-2", "exits_locked", "heavier"),
        ("WS-108", "violence_or_threat", "heavier"),
        ("WS-114", "report_concealed", "heavier"),
        ("WS-114", "rescue_and_compensation", "lighter"),
    ],
)
def test_local_circumstances_select_their_tier(
    catalogue: dict[str, Violation], code: str, circumstance: str, tier: str
) -> None:
    v = catalogue[code]
    assert circumstance in v.tiers[tier].circumstances
    band_facts = {
        "WS-108": {"refused_to_comply"},
        "WS-114": {"general_accident"},
    }.get(code, set())
    target = RESPONSIBLE if code == "WS-94" else "unit"
    s = suggest(v, Facts(circumstances=frozenset({circumstance, *band_facts})), target)
    assert s.tier.name == tier and s.tier_because == (circumstance,)


def test_every_entry_uses_the_default_shares_and_names_circumstances(
    catalogue: dict[str, Violation],
) -> None:
    for v in catalogue.values():
        assert {t: v.tiers[t].share for t in v.tiers} == DEFAULT_SHARES, v.code
        assert not v.tiers["ordinary"].circumstances, v.code
        if v.code == "WS-112":  # a 1–1 band per day leaves nothing to split
            continue
        assert v.tiers["lighter"].circumstances, v.code
        assert v.tiers["heavier"].circumstances, v.code
        codes = set(v.tiers["lighter"].circumstances) | set(v.tiers["heavier"].circumstances)
        assert not codes & BAND_FACTS, v.code  # a band fact never selects a tier by itself
        assert not set(v.tiers["lighter"].circumstances) & set(v.tiers["heavier"].circumstances)


def test_shared_circumstance_codes_read_the_same_everywhere(
    catalogue: dict[str, Violation],
) -> None:
    seen: dict[str, set[str]] = {}
    for v in catalogue.values():
        for tier in v.tiers.values():
            for code, text in tier.circumstances.items():
                seen.setdefault(code, set()).add(text)
    assert seen["repeat_offence"] == {"一年内因同类违法行为受过安全生产行政处罚"}
    assert len(seen["cooperated"]) == 1
    # a code is lighter in one entry and heavier in another never
    for v in catalogue.values():
        for w in catalogue.values():
            assert not set(v.tiers["lighter"].circumstances) & set(
                w.tiers["heavier"].circumstances
            ), (v.code, w.code)
