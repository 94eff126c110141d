"""`zhifa discretion suggest`, `zhifa violations` and `zhifa checklists` over an installed plugin
(a real distribution on a path, loaded through its entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

PROBE = """
    from pathlib import Path

    import pluggy

    from zhifa.rules import ChecklistItem, load_catalogue

    hookimpl = pluggy.HookimplMarker("zhifa")


    @hookimpl
    def zhifa_violations():
        return load_catalogue(Path(__file__).with_name("probe_violations.yaml"))


    @hookimpl
    def zhifa_checklists():
        return [ChecklistItem("PROBE-1", "许可证有效", "食品安全法 第三十五条", kind="key", scope="probe")]
"""

CATALOGUE = """
- code: PROBE-124
  name: 经营致病性微生物超标的食品
  basis: 食品安全法 第三十四条第（二）项
  penalty_basis: 食品安全法 第一百二十四条第一款第（一）项
  in_force_from: 2021-04-29
  measures: [没收违法所得和违法经营的食品]
  no_penalty: null
  bands:
    - {threshold: goods_value, below: 10000, low: 50000, high: 100000}
    - {threshold: goods_value, at_least: 10000, multiple_of: goods_value, low: 10, high: 20}
  tiers:
    lighter: {circumstances: {recalled: 主动召回}}
    heavier: {circumstances: {children: 以儿童为主要消费对象}}
- code: PROBE-124
  name: 经营致病性微生物超标的食品（旧）
  basis: 食品安全法 第三十四条第（二）项
  penalty_basis: 食品安全法（2015） 第一百二十四条
  in_force_from: 2015-10-01
  in_force_to: 2021-04-28
  bands:
    - {threshold: goods_value, below: 10000, low: 60000, high: 120000}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    dist = site / "zhifa_catalogue_probe-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "zhifa_catalogue_probe.py").write_text(textwrap.dedent(PROBE), "utf-8")
    (site / "probe_violations.yaml").write_text(CATALOGUE, "utf-8")
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: zhifa-catalogue-probe\nVersion: 0.1\n", "utf-8"
    )
    (dist / "entry_points.txt").write_text("[zhifa]\ncatalogue-probe = zhifa_catalogue_probe\n")
    return site


def zhifa(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", None)
    return subprocess.run(
        [sys.executable, "-m", "zhifa", *args], env=env, capture_output=True, text=True
    )


def suggest(site: Path, *args: str) -> tuple[int, Any]:
    done = zhifa(site, "discretion", "suggest", "PROBE-124", "--json", *args)
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize(
    ("goods", "legal"),
    [("9999.99", ["50000.00", "100000.00"]), ("10000", ["100000.00", "200000.00"])],
)
def test_suggest_at_the_goods_value_threshold(site: Path, goods: str, legal: list[str]) -> None:
    code, out = suggest(
        site, "--facts", json.dumps({"goods_value": goods}), "--decided", "2026-03-02"
    )
    assert code == 0 and out["legal_range"] == legal and out["tier"] == "ordinary"
    assert out["penalty_basis"] == "食品安全法 第一百二十四条第一款第（一）项"


def test_tier_and_the_fine_at_the_edges(site: Path) -> None:
    facts = json.dumps({"goods_value": 5000, "circumstances": ["children"]})
    base = ("--facts", facts, "--decided", "2026-03-02")
    code, out = suggest(site, *base, "--fine", "100000")
    assert code == 0 and out["tier"] == "heavier" and out["tier_because"] == ["children"]
    assert out["suggested_range"] == ["85000.00", "100000.00"]
    assert out["fine"]["refused"] == [] and out["fine"]["conditions"] == []
    code, out = suggest(site, *base, "--fine", "100001")
    assert code == 1 and "outside the legal range" in out["fine"]["refused"][0]
    code, out = suggest(site, *base, "--fine", "84999")
    assert code == 0 and "行政处罚法 第三十二条" in out["fine"]["conditions"][0]


def test_the_entry_in_force_at_the_conduct_unless_the_new_one_is_lighter(site: Path) -> None:
    facts = ("--facts", '{"goods_value": 5000}', "--decided", "2026-03-02")
    _, out = suggest(site, *facts, "--conduct", "2021-04-28")
    assert out["legal_range"] == ["50000.00", "100000.00"] and "is lighter" in out["applicable"]
    _, out = suggest(site, *facts, "--conduct", "2021-04-29")
    assert "in force on the day of the conduct" in out["applicable"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--facts", "{nope"), "--facts is not valid JSON"),
        (("--facts", "[1]"), "--facts must be a JSON object"),
        (("--facts", '{"goods": 1}'), "unknown fact goods"),
        (("--facts", "{}"), "give goods_value"),
        (("--target", "boss", "--facts", "{}"), "--target must be one of"),
        (("--conduct", "2026-13-01"), "--conduct must be a date"),
        (("--conduct", "2026-03-03", "--decided", "2026-03-02"), "is after --decided"),
        (("--conduct", "2010-01-01", "--facts", '{"goods_value": 1}'), "was not in force"),
    ],
)
def test_bad_input_is_one_sentence(site: Path, args: tuple[str, ...], fragment: str) -> None:
    done = zhifa(site, "discretion", "suggest", "PROBE-124", *args)
    assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr


def test_unknown_violation(site: Path) -> None:
    done = zhifa(site, "discretion", "suggest", "NOPE", "--facts", "{}")
    assert done.returncode == 2 and "no violation 'NOPE'" in done.stderr


def test_violations_and_checklists_are_listed(site: Path) -> None:
    listed = json.loads(zhifa(site, "violations", "--plugin", "catalogue-probe", "--json").stdout)
    assert [(v["code"], v["in_force_to"]) for v in listed] == [
        ("PROBE-124", "2021-04-28"),
        ("PROBE-124", None),
    ]
    assert "10–20 times the goods value when goods value ≥ 10,000" in listed[1]["bands"]
    items = json.loads(zhifa(site, "checklists", "--scope", "probe", "--json").stdout)
    assert items == [
        {
            "code": "PROBE-1",
            "name": "许可证有效",
            "basis": "食品安全法 第三十五条",
            "method": "on_site",
            "kind": "key",
            "scope": "probe",
            "plugin": "catalogue-probe",
        }
    ]
    text = zhifa(site, "discretion", "suggest", "PROBE-124", "--facts", '{"goods_value": 1}').stdout
    assert "legal range:" in text and "50,000.00 – 100,000.00 yuan" in text
