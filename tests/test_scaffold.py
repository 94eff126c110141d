"""`zhifa plugin new`: the generated distribution installs, is found through its entry point,
and its own tests pass as generated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run, run_json


@pytest.fixture
def generated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = run_json(capsys, "plugin", "new", "zhifa-xihu-market", "--dir", str(tmp_path))
    root = Path(out["path"])
    assert root == tmp_path / "zhifa-xihu-market"
    assert {
        "pyproject.toml",
        "README.md",
        "zhifa_xihu_market/plugin.py",
        "zhifa_xihu_market/violations.yaml",
        "zhifa_xihu_market/workflows/zhifa_xihu_market_notice.yaml",
        "tests/conftest.py",
        "tests/test_zhifa_xihu_market.py",
    } <= set(out["files"])
    return root


def test_its_own_tests_pass_as_generated(generated: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=generated,
        env={**os.environ, "PYTHONPATH": str(generated)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 passed" in done.stdout


@pytest.mark.slow
def test_it_installs_and_zhifa_finds_it(generated: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(generated),
        ],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", None)

    def zhifa(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "zhifa", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    plugins = {p["name"]: p for p in json.loads(zhifa("plugins", "--json"))}
    assert plugins["xihu-market"]["distribution"] == "zhifa-xihu-market"
    assert "zhifa_violations" in plugins["xihu-market"]["hooks"]
    listed = json.loads(zhifa("violations", "--plugin", "xihu-market", "--json"))
    assert [v["code"] for v in listed] == ["xihu-market-126-3"]
    assert "zhifa-xihu-market is loaded" in zhifa("xihu-market-hello")


def test_an_existing_directory_or_a_bad_name_writes_nothing(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "plugin", "new", "zhifa-xihu-market", "--dir", str(generated.parent))
    assert code == 2 and "already exists" in err
    code, _, err = run(capsys, "plugin", "new", "Zhifa_Bad", "--dir", str(generated.parent))
    assert code == 2 and "must be lower-case letters" in err
    assert not (generated.parent / "Zhifa_Bad").exists()
