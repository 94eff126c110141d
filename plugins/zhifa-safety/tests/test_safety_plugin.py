"""The plugin as zhifa loads it: its catalogue and checklist marked with the plugin's name, every
entry citing 安全生产法, in force from the 2021 amendment, and the entry point declared."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from zhifa_safety import plugin

from zhifa import load_checklist
from zhifa.errors import InputError
from zhifa.plugins import Plugins
from zhifa.rules import ITEM_KINDS, METHODS, CatalogueError, Facts, Violation, applicable

LAW = "安全生产法"
AMENDED = date(2021, 9, 1)  # the 2021 amendment (adopted 10 June 2021) took effect
DIGITS = dict(zip("一二三四五六七八九", range(1, 10), strict=True))
SCOPES = {"general_industry", "hazardous_chemicals", "mining", "construction", "catering"}


def article(citation: str) -> int:
    """The first article number cited: '安全生产法 第一百零三条第一款' → 103."""
    match = re.search(r"第([零一二三四五六七八九十百]+)条", citation)
    assert match, citation
    total, digit = 0, 0
    for ch in match.group(1):
        if ch in DIGITS:
            digit = DIGITS[ch]
        elif ch == "零":
            digit = 0
        else:
            total += (digit or 1) * (100 if ch == "百" else 10)
            digit = 0
    return total + digit


def test_article_numbers_are_read() -> None:
    assert [article(f"第{n}条") for n in ("十", "二十一", "九十七", "一百零三", "一百一十四")] == [
        10,
        21,
        97,
        103,
        114,
    ]


@pytest.fixture
def loaded() -> Plugins:
    return Plugins([plugin], autoload=False)


def test_violations_are_marked_with_the_plugin(loaded: Plugins) -> None:
    violations = loaded.violations()
    assert len(violations) == len(plugin.zhifa_violations()) >= 8
    for code, entries in violations.items():
        assert code.startswith("WS-")
        assert [v.department for v in entries] == [plugin.__name__]
    assert plugin.__name__ in {p.name for p in loaded.listing()}


def test_the_required_articles_are_covered(catalogue: dict[str, Violation]) -> None:
    articles = {article(v.penalty_basis) for v in catalogue.values()}
    assert {97, 99, 101, 102, 103} <= articles
    assert len(articles - {97, 99, 101, 102, 103}) >= 3
    # one entry per item of the items that share a penalty
    for art, items in ((97, 7), (98, 4), (99, 8), (101, 5), (105, 2)):
        assert {v.code for v in catalogue.values() if article(v.penalty_basis) == art} == {
            f"WS-{art}-{i}" for i in range(1, items + 1)
        }


def test_every_entry_cites_the_work_safety_law(catalogue: dict[str, Violation]) -> None:
    for v in catalogue.values():
        for citation in (v.basis, v.penalty_basis, *(b.basis for b in v.bands if b.basis)):
            assert citation.startswith(f"{LAW} 第"), (v.code, citation)
        # the penalty is set in Chapter 6 (法律责任, 第九十条–第一百一十六条); the rule broken is an
        # article of the law
        assert 90 <= article(v.penalty_basis) <= 116, v.code
        assert 1 <= article(v.basis) <= 119, v.code
        code_article = int(v.code.split("-")[1])
        assert code_article == article(v.penalty_basis), v.code
        item = re.search(r"第（([一二三四五六七八九])）项", v.penalty_basis)
        if item:
            assert v.code.endswith(f"-{DIGITS[item.group(1)]}"), v.code
        assert (v.name and v.measures) or v.code == "WS-112"


def test_entries_are_in_force_from_the_2021_amendment(catalogue: dict[str, Violation]) -> None:
    assert {(v.in_force_from, v.in_force_to) for v in catalogue.values()} == {(AMENDED, None)}
    entries = list(catalogue.values())
    facts = Facts()
    chosen, _why = applicable(entries, "WS-97-1", AMENDED, date(2026, 3, 2), facts)
    assert chosen.code == "WS-97-1"
    with pytest.raises(InputError):
        applicable(entries, "WS-97-1", date(2021, 8, 31), date(2026, 3, 2), facts)


def test_no_penalty_list_entries(catalogue: dict[str, Violation]) -> None:
    listed = {v.code for v in catalogue.values() if v.no_penalty}
    assert listed == {"WS-97-4", "WS-99-1"}
    assert all("行政处罚法 第三十三条" in (catalogue[c].no_penalty or "") for c in listed)


def test_checklists_are_marked_with_the_plugin(loaded: Plugins) -> None:
    items = loaded.checklists()
    assert len(items) >= 12
    for code, item in items.items():
        assert re.fullmatch(r"AQ-\d+\.\d+", code), code
        assert item.department == plugin.__name__
        assert item.basis.startswith(f"{LAW} 第"), code
        assert 1 <= article(item.basis) <= 119, code
        assert item.method in METHODS and item.kind in ITEM_KINDS
        assert item.scope in SCOPES, code
    assert {i.kind for i in items.values()} == set(ITEM_KINDS)
    assert {i.scope for i in items.values()} == SCOPES


def test_checklist_file_errors_name_the_item(tmp_path: Path) -> None:
    path = tmp_path / "checklists.yaml"
    path.write_text("- {code: AQ-9.1, name: x, basis: 安全生产法 第三十条, colour: red}\n", "utf-8")
    with pytest.raises(CatalogueError, match=r"\[0\] \(AQ-9.1\): unknown key colour"):
        load_checklist(path)
    path.write_text("- {code: AQ-9.1, name: x, basis: y, method: phone}\n", "utf-8")
    with pytest.raises(CatalogueError, match="method 'phone'"):
        load_checklist(path)
    path.write_text("code: AQ-9.1\n", "utf-8")
    with pytest.raises(CatalogueError, match="a checklist is a list"):
        load_checklist(path)


def test_the_distribution_declares_its_entry_point() -> None:
    (ep,) = entry_points(group="zhifa", name="safety")
    assert ep.value == "zhifa_safety.plugin"
    assert ep.load() is plugin
    assert ep.dist is not None and ep.dist.name == "zhifa-safety"


def test_hooks_return_fresh_lists() -> None:
    first = plugin.zhifa_violations()
    first.clear()
    assert plugin.zhifa_violations()
    assert isinstance(plugin.zhifa_checklists()[0].code, str)
    assert Decimal(0) in {b.low for v in plugin.zhifa_violations() for b in v.bands}
