"""The sandbox's parameters and reforms: every rule value read from the rules as installed (a
plugin's rule changes them), reforms checked whole (every kind of bad path or value, one
sentence per path, nothing run), dated values at their boundary, composition and diff, and the
engine's own functions called with the reform's values."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.catalogue import ART_124, OLD, Catalogue, entry
from tests.plugins.sampling import COUNTY_POLICY, CountyPolicy
from zhifa.errors import FieldError, InputError
from zhifa.plugins import Plugins
from zhifa.procedure.publication import Penalty
from zhifa.rules import DEFAULT_POLICY, Facts, suggest
from zhifa.sandbox.reform import BASELINE, Reform, diff, load_reform
from zhifa.sandbox.rules import Installed

DAY = date(2026, 12, 1)
EFFECTIVE = date(2027, 1, 1)
NEW = entry(ART_124)  # FS-124 in force since 2021


@pytest.fixture
def installed() -> Installed:
    plugins = Plugins([CountyPolicy(), Catalogue("c", OLD, NEW)], autoload=False)
    return Installed.load(plugins, ["HZXH", "HZSC"], DAY)


def bad(installed: Installed, changes: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(FieldError) as err:
        load_reform({"name": "bad", "changes": changes}, installed.params)
    assert "nothing was run" in err.value.message
    return err.value.problems


# -- the parameters come from the installed rules ---------------------------------------------------


def test_parameters_are_the_installed_rules(installed: Installed) -> None:
    p = installed.params
    assert p["sampling.HZXH.ratio.A"].value == COUNTY_POLICY.ratios["A"]  # the county's plugin
    assert p["sampling.HZSC.ratio.A"].value == DEFAULT_POLICY.ratios["A"]  # no plugin: default
    assert p["sampling.HZXH.exempt"].value == frozenset({"A"})
    assert p["sampling.HZXH.grace_days"].value == 180
    assert p["sampling.HZXH.ratio.A"].basis == "西湖区抽查工作细则"
    assert p["fine.FS-124.0"].value == (Decimal(50000), Decimal(100000))
    assert p["fine.FS-124.1"].unit == "times the goods_value"
    assert p["no_penalty.FS-124"].value is False
    assert p["publication.short_months"].value == 3
    assert p["repair.minimum_months.food_drug_equipment"].value == 12
    assert p["credit.HZXH.band.B"].kind == "score"
    assert "sampling.HZXH.yearly_cap.D" not in p  # D has no cap to vary unless a policy sets one
    assert {"path", "kind", "unit", "value", "basis", "label"} <= set(
        json.loads(json.dumps(p["fine.FS-124.0"].as_dict()))
    )


def test_a_changed_plugin_rule_changes_the_sandbox() -> None:
    """The sandbox reads the rule the plugin gives, never a copy: without the county's plugin
    HZXH draws the default share of class A."""
    without = Installed.load(Plugins([Catalogue("c", NEW)], autoload=False), ["HZXH"], DAY)
    with_it = Installed.load(
        Plugins([CountyPolicy(), Catalogue("c", NEW)], autoload=False), ["HZXH"], DAY
    )
    assert without.on(DAY).policy("HZXH").ratio("A") == DEFAULT_POLICY.ratio("A")
    assert with_it.on(DAY).policy("HZXH").ratio("A") == 0  # exempt under the county's rule


# -- reforms checked whole ------------------------------------------------------------------------


def test_every_kind_of_bad_path_or_value_is_named(installed: Installed) -> None:
    problems = bad(
        installed,
        {
            "sampling.HZXH.ratoi.B": 0.1,
            "nothing.at.all": 1,
            "sampling.HZXH.ratio.A": {"2027-01-01": 1.01},
            "sampling.HZXH.ratio.B": -0.01,
            "sampling.HZXH.ratio.C": "half",
            "sampling.HZXH.exempt": ["A", "D"],
            "sampling.HZSC.exempt": ["E"],
            "sampling.HZXH.grace_days": 1.5,
            "sampling.HZXH.yearly_cap.B": -1,
            "fine.FS-124.0": [49999, 100000],
            "fine.FS-124.1": [15, 10],
            "discretion.FS-124.lighter": [0, 1.2],
            "no_penalty.FS-124": "yes",
            "publication.low_fine": -1,
            "publication.short_months": {"2027-02-30": 1},
            "publication.long_years": True,
        },
    )
    assert problems["sampling.HZXH.ratoi.B"] == (
        "no such parameter; did you mean sampling.HZXH.ratio.B or sampling.HZXH.ratio.D or "
        "sampling.HZXH.ratio.C?"
    )
    assert "zhifa sandbox params" in problems["nothing.at.all"]
    assert problems["sampling.HZXH.ratio.A"] == "a share must be between 0 and 1, not 1.01"
    assert problems["sampling.HZXH.ratio.B"] == "a share must be between 0 and 1, not -0.01"
    assert problems["sampling.HZXH.ratio.C"] == "'half' is not a share"
    assert "class D (信用风险高) is never exempt" in problems["sampling.HZXH.exempt"]
    assert "unknown credit class E" in problems["sampling.HZSC.exempt"]
    assert "whole number of days" in problems["sampling.HZXH.grace_days"]
    assert "-1 is not a whole number" in problems["sampling.HZXH.yearly_cap.B"]
    assert problems["fine.FS-124.0"].startswith(
        "[49999, 100000] yuan leaves the statute's range 50000–100000 yuan"
    )
    assert "never widen it" in problems["fine.FS-124.0"]
    assert problems["fine.FS-124.1"] == "the low end 15 is above the high end 10"
    assert "between 0 and 1" in problems["discretion.FS-124.lighter"]
    assert problems["no_penalty.FS-124"] == "'yes' is not true or false"
    assert problems["publication.low_fine"] == "an amount must be zero or more, not -1"
    assert "'2027-02-30' is not a day" in problems["publication.short_months"]
    assert "True is not a whole number of years" in problems["publication.long_years"]
    assert len(problems) == 16


def test_the_statutes_range_at_its_edges(installed: Installed) -> None:
    """A fine range may narrow the statute's to its very ends, not a yuan beyond."""
    ok = load_reform({"changes": {"fine.FS-124.0": [50000, 100000]}}, installed.params)
    assert ok.changes["fine.FS-124.0"][0][1] == (Decimal(50000), Decimal(100000))
    assert "fine.FS-124.0" in bad(installed, {"fine.FS-124.0": [50000, 100001]})
    assert "fine.FS-124.0" in bad(installed, {"fine.FS-124.0": [49999.99, 100000]})


def test_bad_files_and_shapes(installed: Installed, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no reform file"):
        load_reform(tmp_path / "missing.yaml", installed.params)
    broken = tmp_path / "broken.json"
    broken.write_text("{", "utf-8")
    with pytest.raises(InputError, match="is not valid JSON"):
        load_reform(broken, installed.params)
    listed = tmp_path / "listed.yaml"
    listed.write_text("- a\n- b\n", "utf-8")
    with pytest.raises(InputError, match="must be a mapping"):
        load_reform(listed, installed.params)
    with pytest.raises(InputError, match="unknown key chnages"):
        load_reform({"chnages": {}}, installed.params)


def test_a_reform_file_takes_effect_on_its_day(installed: Installed, tmp_path: Path) -> None:
    path = tmp_path / "少罚.yaml"
    path.write_text(
        "description: fewer class B visits from 2027\n"
        "changes:\n"
        "  sampling.HZXH.ratio.B: {2027-01-01: 0.02, 2028-01-01: 0.03}\n",
        "utf-8",
    )
    reform = load_reform(path, installed.params)
    assert reform.name == "少罚"
    day_before, first_day = date(2026, 12, 31), EFFECTIVE
    assert installed.on(day_before, reform).policy("HZXH").ratio("B") == Decimal(0)  # county: none
    assert installed.on(first_day, reform).policy("HZXH").ratio("B") == Decimal("0.02")
    assert installed.on(date(2028, 1, 1), reform).policy("HZXH").ratio("B") == Decimal("0.03")


# -- composing and comparing ------------------------------------------------------------------------


def test_reforms_compose_and_diff(installed: Installed) -> None:
    a = load_reform({"name": "a", "changes": {"publication.short_months": {"2027-01-01": 1}}},
                    installed.params)  # fmt: skip
    b = load_reform(
        {
            "name": "b",
            "changes": {
                "publication.short_months": {"2027-01-01": 2},
                "no_penalty.FS-124": {"2027-06-01": True},
            },
        },
        installed.params,
    )
    both = a.then(b)
    assert both.name == "a + b"
    p = installed.params["publication.short_months"]
    assert both.value(p, EFFECTIVE) == 2  # b laid over a
    assert a.then(BASELINE).value(p, EFFECTIVE) == 1
    found = diff(a, b, installed.params, [DAY])
    assert {"path": "publication.short_months", "day": "2027-01-01", "a": 1, "b": 2} in found
    assert {"path": "no_penalty.FS-124", "day": "2027-06-01", "a": False, "b": True} in found
    assert not [d for d in found if d["day"] == DAY.isoformat()]  # equal before either changes
    assert diff(a, a, installed.params, [DAY, EFFECTIVE]) == []


# -- the engine's functions with the reform's values --------------------------------------------------


def test_the_engines_publication_and_repair_rules_with_a_reform(installed: Installed) -> None:
    reform = load_reform(
        {
            "changes": {
                "publication.short_months": {"2027-01-01": 1},
                "publication.low_fine": {"2027-01-01": 20000},
                "repair.minimum_months.general": {"2027-01-01": 3},
            }
        },
        installed.params,
    )
    fine = Penalty(frozenset({"fine"}), Decimal(15000))
    published = date(2027, 3, 31)
    assert installed.on(DAY).publicity_end(published, fine) == date(2030, 3, 31)  # not low: 3 y
    assert installed.on(EFFECTIVE, reform).publicity_end(published, fine) == date(2027, 4, 30)
    assert installed.on(DAY).first_repair_day(published, "general") == date(2027, 10, 1)
    assert installed.on(EFFECTIVE, reform).first_repair_day(published, "general") == date(
        2027, 7, 1
    )
    assert installed.on(EFFECTIVE, reform).first_repair_day(published, "severe") is None


def test_the_catalogue_under_a_reform(installed: Installed) -> None:
    reform = load_reform(
        {
            "changes": {
                "fine.FS-124.0": {"2027-01-01": [60000, 80000]},
                "discretion.FS-124.ordinary": {"2027-01-01": [0.5, 0.5]},
                "no_penalty.FS-124": {"2027-01-01": True},
            }
        },
        installed.params,
    )
    facts = Facts(goods_value=Decimal(5000))
    (before,) = [v for v in installed.on(DAY, reform).catalogue()["FS-124"] if v.in_force(DAY)]
    (after,) = [
        v for v in installed.on(EFFECTIVE, reform).catalogue()["FS-124"] if v.in_force(EFFECTIVE)
    ]
    assert suggest(before, facts).legal == (Decimal("50000.00"), Decimal("100000.00"))
    assert suggest(after, facts).legal == (Decimal("60000.00"), Decimal("80000.00"))
    assert suggest(after, facts).suggested == (Decimal("70000.00"), Decimal("70000.00"))
    assert before.no_penalty is None and after.no_penalty == "listed by the reform reform"
    (old,) = [
        v
        for v in installed.on(EFFECTIVE, reform).catalogue()["FS-124"]
        if v.in_force(DAY.replace(2020))
    ]
    assert (old.bands, old.tiers, old.no_penalty) == (OLD.bands, OLD.tiers, None)  # left as it was


def test_a_reform_never_changes_the_baseline(installed: Installed) -> None:
    reform = Reform("r", {"sampling.HZXH.ratio.C": ((EFFECTIVE, Decimal("0.5")),)})
    assert installed.on(EFFECTIVE, reform).policy("HZXH").ratio("C") == Decimal("0.5")
    assert installed.on(EFFECTIVE).policy("HZXH").ratio("C") == COUNTY_POLICY.ratio("C")
    assert installed.params["sampling.HZXH.ratio.C"].value == COUNTY_POLICY.ratios["C"]
