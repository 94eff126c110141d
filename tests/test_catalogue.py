"""The violation catalogue model and the discretion suggestion (core/zhifa/rules/), at the
edges of each band: the goods-value threshold, the largest fine allowed and the next yuan, the
tiers, the daily continuous penalty, and the applicable entry by the date of the conduct
(行政处罚法 第三十七条)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.catalogue import ART_124, ITEM, OLD, Catalogue, entry
from zhifa.errors import InputError, PluginConflict, PluginError
from zhifa.plugins import Plugins
from zhifa.rules import (
    CatalogueError,
    ChecklistItem,
    Facts,
    Violation,
    applicable,
    check_decision,
    load_catalogue,
    parse_violation,
    suggest,
)

Y = Decimal
D = date

ART_97: dict[str, Any] = {
    "code": "WS-97",
    "name": "未按照规定配备安全生产管理人员",
    "basis": "安全生产法 第二十四条",
    "penalty_basis": "安全生产法 第九十七条",
    "bands": [
        {"low": 0, "high": 100000, "unless": ["not_corrected"]},
        {"low": 100000, "high": 200000, "when": ["not_corrected"]},
        {"low": 20000, "high": 50000, "when": ["not_corrected"], "target": "responsible_person"},
    ],
}
ART_59: dict[str, Any] = {
    "code": "EP-59",
    "name": "拒不改正违法排放污染物",
    "basis": "环境保护法 第五十九条",
    "penalty_basis": "环境保护法 第五十九条第一款",
    "bands": [
        {
            "multiple_of": "original_fine",
            "low": 1,
            "high": 1,
            "per_day": True,
            "when": ["refused_to_correct"],
        }
    ],
}


@pytest.mark.parametrize(
    ("goods", "legal"),
    [
        ("9999.99", ("50000.00", "100000.00")),  # under 10,000: the fixed range
        ("10000", ("100000.00", "200000.00")),  # 10,000 or more: 10–20 times
        ("12345.67", ("123456.70", "246913.40")),
    ],
)
def test_goods_value_threshold(goods: str, legal: tuple[str, str]) -> None:
    s = suggest(entry(ART_124), Facts(goods_value=Y(goods)))
    assert tuple(map(str, s.legal)) == legal
    assert s.tier.name == "ordinary" and s.tier_because == ()


@pytest.mark.parametrize(
    ("circumstances", "tier", "suggested"),
    [
        (set(), "ordinary", ("65000.00", "85000.00")),
        ({"recalled"}, "lighter", ("50000.00", "65000.00")),
        ({"children"}, "heavier", ("85000.00", "100000.00")),
        ({"recalled", "children"}, "heavier", ("85000.00", "100000.00")),  # heavier wins
    ],
)
def test_tiers(circumstances: set[str], tier: str, suggested: tuple[str, str]) -> None:
    facts = Facts(goods_value=Y(5000), circumstances=frozenset(circumstances))
    s = suggest(entry(ART_124), facts)
    assert (s.tier.name, tuple(map(str, s.suggested))) == (tier, suggested)


def test_the_largest_fine_allowed_and_the_next_yuan() -> None:
    s = suggest(entry(ART_124), Facts(goods_value=Y(5000)))
    assert check_decision(s, Y(100000)) == (
        [],
        [
            "a fine of 100,000 yuan is outside the ordinary tier 65,000–85,000 yuan of FS-124: record the mitigating or aggravating reason (行政处罚法 第三十二条) and pass a legal review"
        ],
    )
    refused, _ = check_decision(s, Y(100001))
    assert refused and "outside the legal range 50,000–100,000 yuan" in refused[0]
    assert "第一百二十四条" in refused[0]
    assert check_decision(s, Y(50000))[0] == []
    assert check_decision(s, Y(49999))[0] != []
    assert check_decision(s, Y(85000)) == ([], [])


def test_a_reduced_penalty_below_the_minimum_needs_a_ground_and_a_review() -> None:
    plain = suggest(entry(ART_124), Facts(goods_value=Y(5000)))
    assert check_decision(plain, Y(49999))[0] != []  # not on the list: refused
    listed = entry(ART_124, reduced_penalty="主动消除危害后果的，可以减轻处罚")
    refused, conditions = check_decision(suggest(listed, Facts(goods_value=Y(5000))), Y(49999))
    assert refused == [] and "减轻处罚" in conditions[0] and "第三十二条" in conditions[0]
    assert check_decision(suggest(listed, Facts(goods_value=Y(5000))), Y(100001))[0] != []


def test_bands_by_circumstance_and_by_target() -> None:
    v = entry(ART_97)
    assert suggest(v, Facts()).legal == (Y(0), Y(100000))
    late = Facts(circumstances=frozenset({"not_corrected"}))
    assert suggest(v, late).legal == (Y(100000), Y(200000))
    assert suggest(v, late, "responsible_person").legal == (Y(20000), Y(50000))
    with pytest.raises(InputError, match="for the responsible person"):
        suggest(v, Facts(), "responsible_person")


def test_daily_continuous_penalty() -> None:
    v = entry(ART_59)
    facts = Facts(original_fine=Y(100000), days=10, circumstances=frozenset({"refused_to_correct"}))
    assert suggest(v, facts).legal == (Y(1000000), Y(1000000))
    with pytest.raises(InputError, match="give original_fine"):
        suggest(v, Facts(days=10, circumstances=frozenset({"refused_to_correct"})))
    with pytest.raises(InputError):
        suggest(v, Facts(original_fine=Y(100000), days=10))  # the order was not refused
    with pytest.raises(InputError):  # no day after the order yet
        suggest(v, Facts(original_fine=Y(100000), days=0, circumstances=facts.circumstances))
    one = Facts(original_fine=Y(100000), days=1, circumstances=facts.circumstances)
    assert suggest(v, one).legal == (Y(100000), Y(100000))


def test_a_provision_with_measures_only() -> None:
    v = entry(ART_124, bands=[], measures=["责令停产整治"])
    with pytest.raises(InputError, match="sets no fine, only measures: 责令停产整治"):
        suggest(v, Facts())
    with pytest.raises(CatalogueError, match="give the fines"):
        entry(ART_124, bands=[])


def test_a_missing_amount_is_named() -> None:
    with pytest.raises(InputError, match="give goods_value"):
        suggest(entry(ART_124), Facts())


# --- 从旧兼从轻 (Art 37) ---------------------------------------------------------------------------

LIGHTER = entry(
    ART_124,
    in_force_from="2021-04-29",
    bands=[{"threshold": "goods_value", "below": 10000, "low": 30000, "high": 80000}],
)
HEAVIER = entry(
    ART_124,
    in_force_from="2021-04-29",
    bands=[{"threshold": "goods_value", "below": 10000, "low": 60000, "high": 120000}],
)


@pytest.mark.parametrize(
    ("later", "conduct", "chosen", "fragment"),
    [
        (LIGHTER, D(2021, 4, 28), LIGHTER, "is lighter"),  # the last day of the old entry
        (HEAVIER, D(2021, 4, 28), OLD, "is not lighter"),
        (HEAVIER, D(2021, 4, 29), HEAVIER, "in force on the day of the conduct"),
    ],
)
def test_applicable_by_date_of_conduct(
    later: Violation, conduct: date, chosen: Violation, fragment: str
) -> None:
    found, why = applicable([OLD, later], "FS-124", conduct, D(2026, 3, 2), Facts(goods_value=Y(1)))
    assert found is chosen and fragment in why and "第三十七条" in why


def test_no_entry_in_force_on_the_day_of_the_conduct() -> None:
    with pytest.raises(InputError, match="was not in force on 2015-09-30"):
        applicable([OLD], "FS-124", D(2015, 9, 30), D(2026, 3, 2), Facts(goods_value=Y(1)))
    with pytest.raises(InputError, match="no violation 'XX'"):
        applicable([OLD], "XX", D(2020, 1, 1), D(2026, 3, 2), Facts())


# --- the file format ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fault"),
    [
        ({"bands": [{"low": 5, "high": 1}]}, "bands[0]: low 5 is above high 1"),
        ({"bands": [{"low": 1, "high": 2, "multiple_of": "gains"}]}, "multiple_of: 'gains'"),
        ({"bands": [{"low": 1, "high": 2, "below": 3}]}, "need the amount they bound"),
        ({"bands": [{"low": 1, "high": 2, "target": "boss"}]}, "target: 'boss'"),
        ({"bands": [{"low": "x", "high": 2}]}, "low: 'x' is not a number"),
        ({"penalty_basis": ""}, "penalty_basis is missing"),
        ({"tiers": {"lightest": {}}}, "unknown tier lightest"),
        ({"tiers": {"lighter": {"share": [0.5, 0.2]}}}, "need 0 ≤ from ≤ to ≤ 1"),
        ({"in_force_to": "2020-01-01", "in_force_from": "2021-01-01"}, "is before in_force_from"),
    ],
)
def test_catalogue_errors_name_the_entry_and_fault(change: dict[str, Any], fault: str) -> None:
    with pytest.raises(CatalogueError) as err:
        parse_violation({**ART_124, **change}, "violations.yaml[0]")
    assert "violations.yaml[0] (FS-124)" in err.value.message and fault in err.value.message


def test_load_catalogue_reads_yaml(tmp_path: Path) -> None:
    path = tmp_path / "violations.yaml"
    path.write_text(
        "- code: FS-124\n  name: x\n  basis: 食品安全法 第三十四条\n"
        "  penalty_basis: 食品安全法 第一百二十四条\n  bands: [{low: 1, high: 2}]\n",
        "utf-8",
    )
    (v,) = load_catalogue(path, "zhifa-market")
    assert (v.code, v.department, v.bands[0].high) == ("FS-124", "zhifa-market", Y(2))
    path.write_text("code: x\n", "utf-8")
    with pytest.raises(CatalogueError, match="a catalogue is a list"):
        load_catalogue(path)


def test_facts_parse_refuses_bad_input() -> None:
    assert Facts.parse({"goods_value": "9999.99", "circumstances": ["recalled"]}).goods_value == Y(
        "9999.99"
    )
    for raw, fragment in [
        ({"goods": 1}, "unknown fact goods"),
        ({"goods_value": "lots"}, "goods_value must be an amount"),
        ({"goods_value": -1}, "zero or more"),
        ({"days": 1.5}, "days must be a whole number"),
        ({"circumstances": "recalled"}, "a list of circumstance codes"),
    ]:
        with pytest.raises(InputError, match=fragment):
            Facts.parse(raw)


# --- plugins ----------------------------------------------------------------------------------------


def test_plugins_collect_catalogues_and_checklists() -> None:
    plugins = Plugins([Catalogue("market", OLD, LIGHTER, items=(ITEM,))], autoload=False)
    assert [v.in_force_from for v in plugins.violations()["FS-124"]] == [
        D(2015, 10, 1),
        D(2021, 4, 29),
    ]
    assert {v.department for v in plugins.violations()["FS-124"]} == {"market"}
    assert plugins.checklists()["SP-1"].department == "market"


def test_two_plugins_declaring_one_code_are_both_named() -> None:
    plugins = Plugins([Catalogue("market", OLD), Catalogue("county", LIGHTER)], autoload=False)
    with pytest.raises(PluginConflict) as err:
        plugins.violations()
    assert "'market'" in err.value.message and "'county'" in err.value.message
    twice = Plugins([Catalogue("a", items=(ITEM,)), Catalogue("b", items=(ITEM,))], autoload=False)
    with pytest.raises(PluginConflict, match="checklist item 'SP-1'"):
        twice.checklists()


def test_overlapping_periods_of_one_code_are_refused() -> None:
    overlapping = entry(ART_124, in_force_from="2021-04-01")
    with pytest.raises(PluginError, match="in force at the same time"):
        Plugins([Catalogue("market", OLD, overlapping)], autoload=False).violations()


def test_checklist_items_are_checked() -> None:
    with pytest.raises(CatalogueError, match="method 'phone'"):
        ChecklistItem("X", "y", "z", method="phone")
    with pytest.raises(CatalogueError, match="kind 'minor'"):
        ChecklistItem("X", "y", "z", kind="minor")
