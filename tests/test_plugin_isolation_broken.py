"""A broken plugin — it fails to import, a hook zhifa calls at start raises, or it ships a
malformed workflow file — is reported and disabled: the departments that do not use it work, a
department that uses it gets one sentence naming the plugin and what is wrong (exit 2), and
``zhifa plugins`` lists it as broken with the reason. When no department is spared from it, zhifa
stops at start with the plugin's error, as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEPT, ENTITY, OTHER_DEPT
from tests.helpers import RECEIVED, counts, make_engine, run
from tests.plugins.department import SAMPLING_WORKFLOW, DepartmentPlugin, WorkflowFiles
from tests.plugins.hostile import FailingCatalogue, FakeEntryPoint
from zhifa.engine import Engine
from zhifa.errors import DefinitionError, NotFoundError, PluginBroken, PluginError
from zhifa.plugins import Plugins, manager
from zhifa.plugins.config import PluginConfig, parse_config
from zhifa.store import Store
from zhifa.timekeeping import FixedClock

CLUE = {"source": "complaint", "summary": "过期食品"}


def spare(department: str, plugin: str) -> PluginConfig:
    """``department`` does not use ``plugin``; every other department does."""
    return parse_config({"departments": {department: {"disabled": [plugin]}}}, "zhifa.toml")


def malformed(tmp_path: Path) -> WorkflowFiles:
    path = tmp_path / "county" / "sampling.yaml"
    path.parent.mkdir()
    path.write_text(SAMPLING_WORKFLOW.replace("initial: sampled\n", ""), "utf-8")
    return WorkflowFiles("county", path)


def test_a_malformed_workflow_file_leaves_other_departments_working(
    bureau: Store, tmp_path: Path
) -> None:
    engine, _ = make_engine(bureau, malformed(tmp_path), config=spare(DEPT, "county"))
    assert "sampling.yaml" in engine.plugins.broken["county"]
    assert "initial" in engine.plugins.broken["county"]
    clue = engine.open("clue", "C1", CLUE, entity=ENTITY).matter  # HZXH does not use it
    assert engine.advance(clue, "assign", "H1", {"verifiers": ["C1"]}).matter.state == "verifying"
    before = counts(bureau)
    with pytest.raises(PluginBroken) as err:  # HZSC uses it
        engine.open("clue", "X1", CLUE)
    assert err.value.message.startswith("plugin 'county' is broken and disabled (a workflow file")
    assert "department HZSC uses it" in err.value.message
    assert "disabled for HZSC in zhifa.toml" in err.value.message
    assert (err.value.plugin, err.value.department, err.value.exit_code) == ("county", "HZSC", 2)
    assert counts(bureau) == before
    with pytest.raises(NotFoundError, match="broken and disabled, so providing nothing"):
        engine.open("sampling", "C1")


def test_a_department_using_a_broken_plugin_takes_no_step_on_its_earlier_matters(
    bureau: Store, tmp_path: Path
) -> None:
    working, _ = make_engine(bureau)
    theirs = working.open("clue", "X1", CLUE).matter
    engine, _ = make_engine(bureau, malformed(tmp_path), config=spare(DEPT, "county"))
    with pytest.raises(PluginBroken, match="department HZSC uses it"):
        engine.advance(theirs, "assign", "X1", {"verifiers": ["X1"]})
    with pytest.raises(PluginBroken):
        engine.available_triggers(theirs, "X1")
    assert engine.load(theirs.id).state == "received"  # reading still works
    assert [e.trigger for e in engine.history(theirs.id)] == ["open"]


def test_a_hook_that_raises_at_start_breaks_its_plugin(bureau: Store) -> None:
    engine, _ = make_engine(
        bureau, FailingCatalogue(), config=spare(OTHER_DEPT, "failing-catalogue")
    )
    reason = engine.plugins.broken["failing-catalogue"]
    assert reason == "its hook zhifa_violations raised OSError: violations.yaml: no such file"
    with pytest.raises(PluginBroken, match="department HZXH uses it"):
        engine.discretion("FS-124", {}, department=DEPT)
    with pytest.raises(PluginBroken):
        engine.plugins.sampling_policy(DEPT)
    assert engine.open("clue", "X1", CLUE).matter.state == "received"


def test_a_plugin_that_fails_to_import_is_disabled(
    sqlite_bureau: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeEntryPoint("probe", error=ImportError("needs libfoo"))
    monkeypatch.setattr(manager, "entry_points", lambda group: [fake])
    plugins = Plugins(autoload=True, config=spare(OTHER_DEPT, "probe"))  # no error here
    assert plugins.broken == {"probe": "it fails to import: ImportError: needs libfoo"}
    (listed,) = [p for p in plugins.listing() if p.name == "probe"]
    assert listed.broken == "it fails to import: ImportError: needs libfoo"
    engine = Engine(sqlite_bureau, plugins=plugins, clock=FixedClock(RECEIVED))
    assert engine.open("clue", "X1", CLUE).matter.state == "received"
    with pytest.raises(PluginBroken, match="it fails to import: ImportError: needs libfoo"):
        engine.open("clue", "C1", CLUE)


def test_a_workflow_needing_a_guard_of_a_broken_plugin_breaks_its_plugin_too(
    bureau: Store, tmp_path: Path
) -> None:
    guardless = DepartmentPlugin(tmp_path)
    guardless.zhifa_guards = lambda: []  # type: ignore[method-assign]
    engine, _ = make_engine(bureau, guardless, config=spare(DEPT, "zhifa-market-test"))
    assert "guard 'sample_kept' is not provided" in engine.plugins.broken["zhifa-market-test"]
    assert engine.open("clue", "C1", CLUE).matter.state == "received"


def test_with_no_department_spared_zhifa_stops_at_start_naming_the_plugin(
    bureau: Store, tmp_path: Path
) -> None:
    with pytest.raises(DefinitionError, match=r"sampling\.yaml") as err:
        make_engine(bureau, malformed(tmp_path))
    assert "(in plugin 'county':" in err.value.message
    with pytest.raises(PluginError, match="failing-catalogue"):
        make_engine(bureau, FailingCatalogue())


def test_the_command_line_reports_and_disables_a_broken_plugin(
    capsys: pytest.CaptureFixture[str],
    db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    county = malformed(tmp_path)
    monkeypatch.setattr(manager, "entry_points", lambda group: [FakeEntryPoint("county", county)])
    monkeypatch.delenv("ZHIFA_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    config = tmp_path / "zhifa.toml"
    config.write_text(f'[departments.{DEPT}]\ndisabled = ["county"]\n', "utf-8")
    monkeypatch.setenv("ZHIFA_CONFIG", str(config))

    code, out, err = run(capsys, "plugins", "--json")
    assert code == 0, err
    listed: dict[str, Any] = {p["name"]: p for p in json.loads(out)}
    assert listed["county"]["broken"].startswith("a workflow file it ships is malformed")
    assert listed["zhifa.baseline"]["broken"] is None
    code, out, _ = run(capsys, "plugins")
    assert code == 0 and "BROKEN" in out and "1 broken (county)" in " ".join(out.split())

    opening = ["matter", "open", "clue", "-f", "source=complaint", "-f", "summary=过期食品"]
    code, out, err = run(capsys, *opening, "--actor", "C1", "--db", db)  # HZXH: spared
    assert code == 0, err
    code, out, err = run(capsys, *opening, "--actor", "X1", "--db", db)  # HZSC uses it
    assert code == 2
    assert err.startswith("error: plugin 'county' is broken and disabled")
    assert "department HZSC uses it" in err and "Traceback" not in err
