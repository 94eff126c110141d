"""The plugin as zhifa loads it: its hooks, its data files, its entry point, its citations."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from zhifa_ecology import DEPARTMENT, plugin

from zhifa import load_checklist
from zhifa.plugins import Plugins
from zhifa.rules import ITEM_KINDS, METHODS, CatalogueError

LAW = "环境保护法"
README = Path(__file__).resolve().parents[1] / "README.md"
# 环境保护法 (2014): paragraphs (款) of each article this plugin cites.
PARAGRAPHS = {
    19: 2,
    24: 1,
    41: 1,
    42: 4,
    44: 2,
    45: 2,
    46: 2,
    47: 4,
    48: 1,
    49: 4,
    55: 1,
    56: 2,
    59: 3,
    60: 1,
    61: 1,
    62: 1,
    63: 1,
}
LAW_TEXT = Path("/work/shared/reference/laws/环境保护法(2014-04-24).md")
DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
CITATION = re.compile(rf"^{LAW} 第([一二三四五六七八九十百]+)条(?:第([一二三四五六七八九十]+)款)?$")


def _number(text: str) -> int:
    """A Chinese numeral up to 百: 五十九 → 59, 十九 → 19, 四 → 4."""
    total, digit = 0, 0
    for ch in text:
        if ch == "百":
            total, digit = total + (digit or 1) * 100, 0
        elif ch == "十":
            total, digit = total + (digit or 1) * 10, 0
        else:
            digit = DIGITS[ch]
    return total + digit


def _citations() -> list[tuple[str, str]]:
    loaded = Plugins([plugin], autoload=False)
    out = []
    for entries in loaded.violations().values():
        for v in entries:
            out += [(v.code, v.basis), (v.code, v.penalty_basis)]
            out += [(v.code, b.basis) for b in v.bands if b.basis]
    out += [(code, item.basis) for code, item in loaded.checklists().items()]
    return out


@pytest.fixture(scope="module")
def loaded() -> Plugins:
    return Plugins([plugin], autoload=False)


def test_the_violations_are_marked_with_the_plugin(loaded: Plugins) -> None:
    catalogue = loaded.violations()
    assert set(catalogue) == {"HB-59", "HB-60", "HB-61", "HB-62", "HB-63"}
    for entries in catalogue.values():
        assert [v.department for v in entries] == [plugin.__name__]
    assert {v.department for v in plugin.zhifa_violations()} == {DEPARTMENT}


def test_the_checklist_is_marked_with_the_plugin(loaded: Plugins) -> None:
    items = loaded.checklists()
    assert len(items) >= 10
    assert all(code.startswith("HB-") for code in items)
    assert {item.department for item in items.values()} == {plugin.__name__}
    assert {item.method for item in items.values()} == set(METHODS)
    assert {item.kind for item in items.values()} == set(ITEM_KINDS)
    assert {"key_discharger", "construction_project", "general_discharger"} <= {
        item.scope for item in items.values()
    }
    # the raw hook gives each item once (Plugins refuses a code declared twice across plugins)
    codes = [item.code for item in plugin.zhifa_checklists()]
    assert len(codes) == len(set(codes))


def test_every_entry_and_item_cites_the_environmental_protection_law() -> None:
    for code, basis in _citations():
        match = CITATION.match(basis)
        assert match, f"{code}: {basis!r} does not cite an article of {LAW}"
        article = _number(match.group(1))
        assert article in PARAGRAPHS, f"{code}: {basis} is not an article this plugin knows"
        if match.group(2):
            assert _number(match.group(2)) <= PARAGRAPHS[article], f"{code}: {basis}"


@pytest.mark.skipif(not LAW_TEXT.exists(), reason=f"the text of {LAW} is not at {LAW_TEXT}")
def test_the_paragraph_counts_match_the_text_of_the_law() -> None:
    counts: dict[int, int] = {}
    current = None
    for line in LAW_TEXT.read_text(encoding="utf-8").splitlines():
        head = re.match(r"^第([一二三四五六七八九十百]+)条\s", line)
        if head:
            current = _number(head.group(1))
            counts[current] = 1
        elif line.startswith("#"):
            current = None
        elif current is not None and line.strip() and not line.startswith("（"):
            counts[current] += 1
    assert counts[70] == 1 and "2015年1月1日" in LAW_TEXT.read_text(encoding="utf-8")
    assert {a: counts[a] for a in PARAGRAPHS} == PARAGRAPHS


def test_the_entry_point_names_the_plugin_module() -> None:
    (ep,) = [ep for ep in entry_points(group="zhifa") if ep.name == "ecology"]
    assert ep.value == "zhifa_ecology.plugin"
    assert ep.load() is plugin
    assert ep.dist is not None and ep.dist.name == "zhifa-ecology"


def test_the_data_files_ship_with_the_package() -> None:
    assert plugin.VIOLATIONS.is_file() and plugin.CHECKLISTS.is_file()


def test_a_bad_checklist_file_is_refused_naming_the_item(tmp_path: Path) -> None:
    bad = tmp_path / "checklists.yaml"
    bad.write_text("- {code: HB-9, name: x, basis: y, method: by_phone}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="HB-9"):
        load_checklist(bad)
    bad.write_text("- {code: HB-9, name: x, basis: y, colour: red}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"\[0\] \(HB-9\): unknown key colour"):
        load_checklist(bad)
    bad.write_text("- {code: HB-9, name: x}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"checklists.yaml\[0\] \(HB-9\): basis missing"):
        load_checklist(bad)
    bad.write_text("code: HB-9\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="a list of items"):
        load_checklist(bad)


@pytest.mark.skipif(not README.exists(), reason="README.md is not beside the tests")
def test_the_readme_lists_every_entry_and_item(loaded: Plugins) -> None:
    text = README.read_text(encoding="utf-8")
    for code in [*loaded.violations(), *loaded.checklists()]:
        assert f"`{code}`" in text, f"{code} is missing from README.md"
