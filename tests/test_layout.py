"""The shape of core/zhifa: small modules in packages that name the domain, a top level that holds
only foundation modules, and layers that the import-linter contracts in pyproject.toml enforce."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "zhifa"

MAX_MODULE_LINES = 600
MAX_CLASS_LINES = 400
DATA_MODULES = {
    # file templates of `zhifa plugin new`: text, not code paths
    "plugins/scaffold.py",
}
TOP_LEVEL = {
    "__init__.py",
    "__main__.py",
    "_moved.py",
    "calendar.py",
    "errors.py",
    "ids.py",
    "logs.py",
    "record.py",
    "roles.py",
    "tabular.py",
    "testing.py",
    "timekeeping.py",
    "py.typed",
}
PACKAGES = {
    "audit",
    "cli",
    "credit",
    "demo",
    "desk",
    "directory",
    "documents",
    "evidence",
    "identity",
    "engine",
    "hooks",
    "inspections",
    "plugins",
    "procedure",
    "reporting",
    "rules",
    "sandbox",
    "store",
    "workflow",
}

MODULES = sorted(CORE.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(CORE))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_is_over_600_lines(path: Path) -> None:
    if _name(path) in DATA_MODULES:
        return
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{_name(path)} has {lines} lines: split it by job"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_class_is_over_400_lines(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{_name(path)}: class {node.name} has {size} lines"


def test_the_top_level_holds_only_foundation_modules_and_the_packages() -> None:
    found = {p.name for p in CORE.iterdir() if p.name != "__pycache__"}
    assert found - PACKAGES == TOP_LEVEL
    assert {p.name for p in CORE.iterdir() if p.is_dir() and p.name != "__pycache__"} == PACKAGES


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_package_says_what_it_holds(package: str) -> None:
    init = CORE / package / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text("utf-8")))
    assert doc, f"zhifa.{package} has no docstring saying what it holds"


def test_every_package_is_shipped_in_the_distribution() -> None:
    import tomllib

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
            "packages"
        ]
    )
    found = {
        "zhifa" + ("." + ".".join(p.parent.relative_to(CORE).parts) if p.parent != CORE else "")
        for p in CORE.rglob("__init__.py")
    }
    assert found <= listed, f"not in [tool.setuptools] packages: {sorted(found - listed)}"


def test_the_layer_contracts_hold() -> None:
    """`lint-imports` checks the layers and that nothing inside zhifa imports the package root."""
    binary = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert binary, "import-linter is a dev dependency: pip install -e '.[dev]'"
    done = subprocess.run(
        [binary, "--no-logo", "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_every_package_and_foundation_module_has_a_layer() -> None:
    """A new package cannot escape the layering by being left out of the contract."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    named = {m.strip().removeprefix("zhifa.") for layer in layers for m in layer.split("|")}
    foundation = {n.removesuffix(".py") for n in TOP_LEVEL if n.endswith(".py")}
    foundation -= {"__init__", "__main__", "_moved", "testing"}
    assert PACKAGES | foundation | {"testing"} <= named, sorted(
        (PACKAGES | foundation | {"testing"}) - named
    )
