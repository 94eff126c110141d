"""The public surface: names resolved lazily, a cheap import, old import paths kept for one
release, one exception tree, and plugins that use only the public API."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import zhifa
from zhifa import _moved, errors

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "zhifa"


def _loaded_after(code: str) -> dict[str, object]:
    """Which modules a fresh interpreter holds after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps({'zhifa': sorted(m for m in sys.modules if m.startswith('zhifa')),"
        " 'sqlalchemy': 'sqlalchemy' in sys.modules, 'numpy': 'numpy' in sys.modules}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    loaded: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def _all_modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(zhifa.__path__, "zhifa.")
        if m.name != "zhifa.__main__"
    )


# --- lazy public names ------------------------------------------------------------------------


def test_every_public_name_resolves_from_its_home_module() -> None:
    assert sorted(zhifa.__all__) == sorted(zhifa._HOME_OF), "__all__ and the homes disagree"
    for name in zhifa.__all__:
        home = importlib.import_module(zhifa._HOME_OF[name])
        assert getattr(zhifa, name) is getattr(home, name), name


def test_an_unknown_name_is_an_attribute_error_naming_it() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Engin'"):
        _ = zhifa.Engin  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "code",
    ["import zhifa", "import zhifa.errors", "from zhifa import hookimpl", "import zhifa.calendar"],
)
def test_a_plain_import_loads_no_database_code(code: str) -> None:
    loaded = _loaded_after(code)
    assert loaded["sqlalchemy"] is False and loaded["numpy"] is False
    assert not any(m.startswith(("zhifa.engine", "zhifa.store")) for m in loaded["zhifa"])  # type: ignore[attr-defined]


def test_the_engine_is_loaded_on_first_use() -> None:
    loaded = _loaded_after("import zhifa\nzhifa.Engine")
    assert "zhifa.engine" in loaded["zhifa"] and loaded["sqlalchemy"] is True  # type: ignore[operator]


# --- old import paths ---------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), sorted(_moved.MOVED.items()))
def test_a_moved_module_still_imports_for_one_release_with_a_warning(old: str, new: str) -> None:
    sys.modules.pop(old, None)
    with pytest.warns(DeprecationWarning, match=rf"{re.escape(old)} moved to {re.escape(new)}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)


def test_the_documented_old_names_still_resolve() -> None:
    sys.modules.pop("zhifa.catalogue", None)
    with pytest.warns(DeprecationWarning):
        from zhifa.catalogue import ChecklistItem, load_catalogue  # type: ignore[import-not-found]
    assert ChecklistItem is zhifa.ChecklistItem and load_catalogue is zhifa.load_catalogue


def test_no_moved_path_shadows_a_module_that_exists() -> None:
    for old in _moved.MOVED:
        assert not (CORE / (old.removeprefix("zhifa.").replace(".", "/") + ".py")).exists(), old
        assert not (CORE / old.removeprefix("zhifa.").replace(".", "/")).is_dir(), old


# --- one exception tree -------------------------------------------------------------------------


def test_every_exception_zhifa_defines_is_in_errors_and_in_its_drawn_tree() -> None:
    for name in _all_modules():
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                assert name == "zhifa.errors", f"{name}.{attr} is an exception outside zhifa.errors"
    drawn = errors.__doc__ or ""
    for attr, value in vars(errors).items():
        if inspect.isclass(value) and issubclass(value, errors.ZhifaError):
            assert re.search(rf"\b{attr}\b", drawn), f"{attr} is missing from the drawn tree"
            assert value.__doc__, f"{attr} has no docstring"


def test_the_drawn_tree_matches_the_classes() -> None:
    """Each line of the drawing names a class whose parent is the class drawn above it."""
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        match = re.match(r"^(\s*)(?:[│ ]*[├└]── )?([A-Z]\w+)\s", line + " ")
        if not match or not hasattr(errors, match.group(2)):
            continue
        depth = len(line) - len(line.lstrip(" │├└─"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        cls = getattr(errors, match.group(2))
        if stack:
            assert cls.__bases__[0] is getattr(errors, stack[-1][1]), match.group(2)
        stack.append((depth, match.group(2)))
    assert len(stack) > 1


# --- plugins use the public API -----------------------------------------------------------------


def _zhifa_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("zhifa"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("zhifa.")]
    return found


PLUGIN_SOURCES = sorted(ROOT.glob("plugins/zhifa-*/zhifa_*/*.py"))


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_shipped_plugin_imports_only_the_public_api(path: Path) -> None:
    own = path.parent.name
    for module in _zhifa_imports(path):
        if module == own or module.startswith(f"{own}."):
            continue
        assert module in {"zhifa", "zhifa.testing"}, f"{path.name} imports {module}"


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("plugins/zhifa-*/**/*.py")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_plugin_file_imports_a_private_zhifa_module(path: Path) -> None:
    for module in _zhifa_imports(path):
        parts = module.split(".")
        if parts[0] != "zhifa":
            continue
        assert not any(p.startswith("_") for p in parts), f"{path.name} imports {module}"
        importlib.import_module(module)  # and it exists at its new path


def test_the_plugin_api_names_are_documented() -> None:
    for name in zhifa.__all__:
        value = getattr(zhifa, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), f"zhifa.{name} has no docstring"
