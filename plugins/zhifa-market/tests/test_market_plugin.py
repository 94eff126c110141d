"""The market-regulation plugin as zhifa loads it: through the plugin manager, as an installed
distribution with its entry point, and with the engine (the ``zhifa_engine`` fixture) — its
catalogue and its inspection checklists marked with the plugin's name, every entry and item citing
its article, and a penalty decision measured against its benchmark."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
from zhifa_market import plugin

from zhifa import load_checklist
from zhifa.engine import Engine
from zhifa.errors import GuardRefused
from zhifa.plugins import Plugins
from zhifa.rules import ITEM_KINDS, METHODS, CatalogueError, load_catalogue
from zhifa.timekeeping import FixedClock

ARTICLE = r"第[一二三四五六七八九十百零]+条"
FOOD_SAFETY_LAW = re.compile(rf"食品安全法 {ARTICLE}")
SCOPE_PREFIX = {"food_production": "SP-", "food_sales": "XS-", "catering": "CY-"}


@pytest.fixture
def loaded() -> Plugins:
    return Plugins([plugin], autoload=False)


def test_the_catalogue_loads_through_the_plugin_manager(loaded: Plugins) -> None:
    own = load_catalogue(plugin.VIOLATIONS, "zhifa-market")
    assert {v.department for v in own} == {"zhifa-market"}
    violations = loaded.violations()
    assert set(violations) == {v.code for v in own}
    for code, entries in violations.items():
        (entry,) = entries  # one period in force per code
        assert entry.department == plugin.__name__, code  # marked with the plugin that declared it
        assert FOOD_SAFETY_LAW.search(entry.basis), code
        assert FOOD_SAFETY_LAW.match(entry.penalty_basis), code
    assert len(violations) >= 40


def test_the_checklists_load_through_the_plugin_manager(loaded: Plugins) -> None:
    items = loaded.checklists()
    assert (
        len(items)
        == len(load_checklist(plugin.CHECKLISTS, plugin.NAME, scopes=plugin.SCOPES))
        >= 15
    )  # no code twice
    assert {i.department for i in items.values()} == {plugin.__name__}
    by_scope: dict[str, list[str]] = {}
    for code, item in items.items():
        assert item.scope in SCOPE_PREFIX and code.startswith(SCOPE_PREFIX[item.scope]), code
        assert re.search(ARTICLE, item.basis), code
        assert re.match(rf"(食品生产经营监督检查管理办法|食品安全法) {ARTICLE}", item.basis), code
        assert item.method in METHODS and item.kind in ITEM_KINDS
        by_scope.setdefault(item.scope, []).append(item.kind)
    for scope in SCOPE_PREFIX:
        assert len(by_scope[scope]) >= 5, scope
        assert {"key", "general"} <= set(by_scope[scope]), scope
    assert {i.method for i in items.values()} == set(METHODS)


def test_each_scope_cites_the_article_of_the_inspection_rules_for_it(loaded: Plugins) -> None:
    article = {"food_production": "第十五条", "food_sales": "第十七条", "catering": "第二十条"}
    special = ("第十六条", "第十八条")  # entrusted production; special foods
    for item in loaded.checklists().values():
        assert article[item.scope] in item.basis or any(a in item.basis for a in special), item


def test_the_plugin_is_listed_with_its_hooks(loaded: Plugins) -> None:
    (info,) = [p for p in loaded.listing() if p.name == plugin.__name__]
    assert info.hooks == (
        "zhifa_checklists",
        "zhifa_credit_measures",
        "zhifa_credit_scheme",
        "zhifa_violations",
    )


def test_the_distribution_declares_its_entry_point() -> None:
    (ep,) = entry_points(group="zhifa", name="market")
    assert ep.value == "zhifa_market.plugin"
    assert ep.dist is not None and (ep.dist.name, ep.dist.version) == ("zhifa-market", "0.1.0")
    assert ep.load() is plugin
    for data in (plugin.VIOLATIONS, plugin.CHECKLISTS):  # shipped as package data
        assert data.is_file() and data.parent == Path(plugin.__file__).parent


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("- code: X\n", "a mapping of scope"),
        ("markets: []\n", "unknown scope markets"),
        ("catering: {code: X}\n", "catering is a list"),
        ("catering: [CY-1]\n", "catering[0]: an item is a mapping"),
        (
            "catering:\n  - {code: CY-1, name: n, basis: b, weight: 2}\n",
            "catering[0] (CY-1): unknown key weight",
        ),
        ("catering:\n  - {code: CY-1, name: n, basis: b, method: phone}\n", "method 'phone'"),
        ("catering:\n  - {code: CY-1, name: n}\n", "code, name and basis are all needed"),
        ("catering: [\n", "cannot read the checklists"),
    ],
)
def test_a_faulty_checklist_file_is_named(tmp_path: Path, text: str, fault: str) -> None:
    path = tmp_path / "checklists.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(CatalogueError) as err:
        load_checklist(path, plugin.NAME, scopes=plugin.SCOPES)
    assert fault in err.value.message
    assert str(path) in err.value.message


# --- with the engine ----------------------------------------------------------------------------


def test_the_engine_carries_the_plugin(zhifa_engine: Engine, zhifa_plugins: Plugins) -> None:
    assert plugin.__name__ in {p.name for p in zhifa_engine.plugins.listing()}
    assert zhifa_engine.plugins is zhifa_plugins
    entry = zhifa_engine.catalogue["FS-124-1-05"][0]
    assert entry.department == plugin.__name__
    assert entry.penalty_basis == "食品安全法 第一百二十四条第一款第（五）项"
    assert "XS-07" in zhifa_engine.plugins.checklists()


def test_a_clue_opens_with_the_plugin_loaded(
    zhifa_engine: Engine, zhifa_officers: dict[str, str], zhifa_entity: str
) -> None:
    opened = zhifa_engine.open(
        "clue",
        zhifa_officers["case_handler"],
        {"source": "complaint", "summary": "消费者投诉超市销售超过保质期的饼干"},
        entity=zhifa_entity,
    )
    assert opened.matter.workflow == "clue"


class Case:
    """One ordinary-procedure case, stepped through with the fixture clock."""

    def __init__(
        self, engine: Engine, clock: FixedClock, officers: dict[str, str], entity: str
    ) -> None:
        self.engine, self.clock, self.officers = engine, clock, officers
        self.matter = engine.open(
            "case",
            officers["head"],
            {
                "procedure": "ordinary",
                "party_kind": "organisation",
                "party_name": "测试食品有限公司",
                "act_date": "2026-02-20",
                "handlers": [officers["case_handler"], officers["case_handler_2"]],
                "violation": "销售超过保质期的饼干",
            },
            entity=entity,
        ).matter

    def do(self, trigger: str, role: str, data: dict[str, Any], days: int = 1) -> None:
        self.clock.advance(days=days)
        self.matter = self.engine.advance(self.matter, trigger, self.officers[role], data).matter

    def notified(self, fine: str, kind: str = "fine") -> Case:
        """Concluded and notified on the next two days; the decision comes a week later."""
        self.do(
            "conclude_investigation",
            "case_handler",
            {"violation": "销售超过保质期的饼干", "proposed_outcome": "penalty"},
        )
        notice: dict[str, Any] = {"penalty_kind": kind, "hearing_eligible": False}
        self.do("notify", "case_handler", {**notice, "reasons": "事实、理由、依据", "fine": fine})
        self.clock.advance(days=7)
        return self

    def decide(self, fine: str, violation: str, facts: dict[str, Any], kind: str = "fine") -> None:
        """Decide now (a refused decision writes nothing, so it can be tried again)."""
        data = {"penalty_kind": kind, "reasons": "事实、理由、依据", "fine": fine}
        self.do("decide_penalty", "head", {**data, "violation": violation, "facts": facts}, 0)


@pytest.fixture
def case(
    zhifa_engine: Engine,
    zhifa_clock: FixedClock,
    zhifa_officers: dict[str, str],
    zhifa_entity: str,
) -> Case:
    return Case(zhifa_engine, zhifa_clock, zhifa_officers, zhifa_entity)


def test_a_decision_is_measured_against_the_plugins_benchmark(case: Case) -> None:
    case.notified("70000")
    sold = {"goods_value": 800, "circumstances": ["recalled_voluntarily"]}
    with pytest.raises(GuardRefused) as err:  # beyond the legal range
        case.decide("100001", "FS-124-1-05", sold)
    assert any(
        "outside the legal range 50,000–100,000 yuan of FS-124-1-05" in r for r in err.value.reasons
    )
    with pytest.raises(GuardRefused) as err:  # above the lighter tier: a reason and a review
        case.decide("65000.01", "FS-124-1-05", sold)
    (tier, review) = err.value.reasons
    assert "outside the lighter tier 50,000–65,000 yuan of FS-124-1-05" in tier
    assert "discretion_reason" in tier and "needs a legal review" in review
    case.decide("65000", "FS-124-1-05", sold)
    assert case.matter.state == "decided"
    recorded = case.matter.data["decide_penalty"]["_discretion"]
    assert recorded["catalogue"] == plugin.__name__
    assert recorded["penalty_basis"] == "食品安全法 第一百二十四条第一款第（五）项"
    assert (recorded["legal_range"], recorded["tier"]) == (["50000.00", "100000.00"], "lighter")
    assert recorded["tier_because"] == ["recalled_voluntarily"] and recorded["within_tier"]


def test_a_warning_passes_and_a_fine_before_a_refusal_to_correct_is_refused(case: Case) -> None:
    case.notified("5000")
    with pytest.raises(GuardRefused) as err:  # no refusal to correct recorded: a warning only
        case.decide("5000", "FS-126-1-03", {})
    (reason,) = err.value.reasons
    assert "outside the legal range 0–0 yuan of FS-126-1-03" in reason
    case.decide("0", "FS-126-1-03", {}, kind="warning")
    recorded = case.matter.data["decide_penalty"]["_discretion"]
    assert recorded["legal_range"] == ["0.00", "0.00"]
