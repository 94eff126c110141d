"""Each baseline guard is declared once: its name is written at its definition (the function marked
``@guard``) and in the workflow definitions that require it, nowhere else in core/zhifa. Every name
a workflow definition requires is registered, every registered guard is required somewhere, and no
``@guard`` function under zhifa.procedure is left unregistered."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import zhifa
import zhifa.procedure
from zhifa.hooks.types import GUARD_ATTRIBUTE, Guard, GuardResult, guard, guards_in
from zhifa.plugins import baseline
from zhifa.workflow.definitions import builtin_workflow_files, load_file

CORE = Path(zhifa.__file__).resolve().parent
BASELINE = tuple(baseline.zhifa_guards())


def definition_span(g: Guard) -> tuple[Path, range]:
    """The file of a guard's function and its lines, from the ``@guard`` decorator to the end."""
    source = inspect.getsourcefile(g.check)
    assert source is not None
    lines, first = inspect.getsourcelines(g.check)
    return Path(source).resolve(), range(first, first + len(lines))


def required_by_workflows() -> dict[str, set[str]]:
    """Guard name → the built-in workflows whose definition requires it."""
    required: dict[str, set[str]] = {}
    for path in builtin_workflow_files():
        definition = load_file(path)
        for name in definition.guard_names():
            required.setdefault(name, set()).add(definition.name)
    return required


def test_every_baseline_guard_is_declared_where_it_is_defined() -> None:
    names = [g.name for g in BASELINE]
    assert len(set(names)) == len(names)
    for g in BASELINE:
        declared = getattr(g.check, GUARD_ATTRIBUTE, None)
        assert declared is g, f"{g.name} is not declared with @guard above its def"
        assert g.check.__name__ == g.name
        assert definition_span(g)[0].is_relative_to(CORE)


def test_guard_names_appear_in_core_only_at_their_definition() -> None:
    spans = {g.name: definition_span(g) for g in BASELINE}
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, spans)) + r")(?![A-Za-z0-9_])"
    )
    stray = []
    for path in sorted(CORE.rglob("*.py")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            for match in pattern.finditer(line):
                home, lines = spans[match.group(1)]
                if path.resolve() != home or number not in lines:
                    stray.append(f"{path.relative_to(CORE.parent)}:{number}: {match.group(1)}")
    assert not stray, (
        "a guard's name is written only at its definition (the function marked @guard) and in "
        "the workflow definitions; elsewhere describe the rule instead of naming it:\n"
        + "\n".join(stray)
    )


def test_every_guard_a_workflow_requires_is_registered() -> None:
    registered = {g.name for g in BASELINE}
    unknown = {
        name: sorted(workflows)
        for name, workflows in required_by_workflows().items()
        if name not in registered
    }
    assert not unknown


def test_every_baseline_guard_is_required_by_a_workflow() -> None:
    required = required_by_workflows()
    assert [g.name for g in BASELINE if g.name not in required] == []


def test_every_guard_declared_under_procedure_is_registered() -> None:
    registered = {id(g) for g in BASELINE}
    left_out = []
    for info in pkgutil.walk_packages(zhifa.procedure.__path__, "zhifa.procedure."):
        module = importlib.import_module(info.name)
        left_out += [f"{info.name}.{g.name}" for g in guards_in(module) if id(g) not in registered]
    assert not left_out, "list the module in its package's GUARDS = guards_in(...)"


# --- the decorator and its collector ------------------------------------------------------------


def _module(name: str, source: str) -> ModuleType:
    module = ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


RULES = """
from zhifa.hooks.types import guard

@guard("second rule", "法 第二条", needs_data=True)
def second(ctx, **_):
    return None

def helper(ctx):
    return "not a guard"

@guard("first rule")
def first(ctx, **_):
    return "refused"
"""


def test_guard_returns_the_function_and_declares_it_by_its_name() -> None:
    def sample_kept(ctx: object, **_: object) -> GuardResult:
        return None

    marked = guard("a sample is kept", "食品安全法 第八十七条", needs_data=True)(sample_kept)
    assert marked is sample_kept
    assert getattr(marked, GUARD_ATTRIBUTE) == Guard(
        "sample_kept", sample_kept, "a sample is kept", "食品安全法 第八十七条", needs_data=True
    )


def test_guards_in_collects_in_definition_order_and_skips_imported_guards() -> None:
    rules = _module("probe_rules", RULES)
    assert [(g.name, g.description, g.basis, g.needs_data) for g in guards_in(rules)] == [
        ("second", "second rule", "法 第二条", True),
        ("first", "first rule", "", False),
    ]
    importer = ModuleType("probe_importer")
    vars(importer)["first"] = rules.first  # as after "from probe_rules import first"
    assert guards_in(importer) == ()
    assert guards_in(vars(rules)) == guards_in(rules)
    assert [g.name for g in guards_in(importer, rules, rules)] == ["second", "first"]


@pytest.mark.parametrize("namespace", [{"x": 1}, {"__name__": "elsewhere"}])
def test_guards_in_an_empty_namespace(namespace: dict[str, object]) -> None:
    assert guards_in(namespace) == ()
