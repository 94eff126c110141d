"""The sampling-policy hook (the shares a department draws per credit class) and the CLI-additions
hook (a plugin's own `zhifa` command, found through its entry point)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.sampling import CountyPolicy
from zhifa.errors import InputError
from zhifa.plugins import Plugins
from zhifa.rules import DEFAULT_POLICY, SamplingPolicy


def test_a_department_gets_its_plugin_policy_and_others_the_default() -> None:
    plugins = Plugins([CountyPolicy()], autoload=False)
    policy = plugins.sampling_policy("HZXH")
    assert policy.basis == "西湖区抽查工作细则"
    assert policy.ratio("A", "high") == 0  # exempt unless it asks (无事不扰)
    assert policy.ratio("C") == Decimal("0.10")
    assert policy.ratio("C", "high") == Decimal("0.50")  # the higher share applies
    assert plugins.sampling_policy("HZSC") is DEFAULT_POLICY


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ratios": {"A": Decimal("1.01")}}, "between 0 and 1"),
        ({"ratios": {"E": Decimal("0.1")}}, "unknown credit class E"),
        ({"ratios": {}, "risk_ratios": {"extreme": Decimal("0.1")}}, "unknown risk level"),
        ({"ratios": {}, "grace_days": -1}, "zero or more"),
        ({"ratios": {}, "exempt": frozenset({"C", "D"})}, "class D .* is never exempt"),
    ],
)
def test_a_bad_policy_is_one_sentence(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        SamplingPolicy(**kwargs)


COMMAND_PLUGIN = """
    import pluggy

    hookimpl = pluggy.HookimplMarker("zhifa")


    @hookimpl
    def zhifa_cli(app):
        @app.command("county-report")
        def county_report(year: int) -> None:
            \"\"\"The county's yearly figures.\"\"\"
            print(f"county report {year}")
"""


def test_a_plugin_adds_a_command(tmp_path: Path) -> None:
    site = tmp_path / "site"
    dist = site / "zhifa_county_cmd-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "zhifa_county_cmd.py").write_text(textwrap.dedent(COMMAND_PLUGIN), "utf-8")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: zhifa-county-cmd\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[zhifa]\ncounty-cmd = zhifa_county_cmd\n")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", None)

    def zhifa(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zhifa", *args], env=env, capture_output=True, text=True
        )

    done = zhifa("county-report", "2026")
    assert done.returncode == 0 and done.stdout.strip() == "county report 2026"
    assert "county-report" in zhifa("--help").stdout
    bad = zhifa("county-report", "twenty")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
